// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace cwb {

// What kind of failure an Error is, for callers that act on it rather than just show it.
enum class ErrorKind {
    Failure,
    Cancelled,         // the user stopped the job: reported differently from a failure
    TokenizerNotFound, // a checkpoint without a tokenizer beside it: the GUI asks for one
};

// A one-line reason for the user.
struct Error {
    QString message;
    ErrorKind kind = ErrorKind::Failure;

    bool cancelled() const { return kind == ErrorKind::Cancelled; }
};

inline Error cancelledError() {
    return Error{QStringLiteral("cancelled"), ErrorKind::Cancelled};
}

// A value or an Error. Core calls return this and never throw across their API.
template <typename T> class [[nodiscard]] Result {
public:
    Result(T value)
        : m_value(std::move(value)) {}
    Result(Error error)
        : m_value(std::move(error)) {}

    bool ok() const { return m_value.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(m_value); }
    const T& value() const& { return std::get<0>(m_value); }
    T&& value() && { return std::get<0>(std::move(m_value)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }

    const Error& error() const { return std::get<1>(m_value); }

private:
    std::variant<T, Error> m_value;
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error)
        : m_error(std::move(error))
        , m_failed(true) {}

    bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return m_error; }

private:
    Error m_error;
    bool m_failed = false;
};

} // namespace cwb
