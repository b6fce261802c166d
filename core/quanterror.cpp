// SPDX-License-Identifier: GPL-3.0-or-later
#include "quanterror.h"

#include "tensorvalues.h"

namespace cwb {

Result<double> relativeQuantError(const Tensor& tensor, PrecisionId precision) {
    if (!tensor.isMatrix())
        return Error{QStringLiteral("%1 is not a matrix").arg(tensor.name)};
    if (precision == PrecisionId::Fp32) // kept as the file's values, decoded
        return 0.0;
    // A model of shapes only (cwb bench --synthetic) has no values to measure.
    const StoredTypeTraits& traits = traitsOf(tensor.type);
    if (tensor.data.size() <
        rowBytes(traits, std::size_t(tensor.rowLength())) * std::size_t(tensor.rows()))
        return Error{QStringLiteral("%1 holds no values").arg(tensor.name)};
    std::vector<float> scratch;
    const std::span<const float> values = decodedValues(tensor, scratch);
    auto packed = quantizeMatrix(precision, values, tensor.rowLength(), tensor.name);
    if (!packed)
        return packed.error();
    const std::vector<float> back = dequantizeMatrix(*packed);
    return relativeRmsError(back, values);
}

Result<std::vector<std::optional<double>>>
relativeQuantErrors(const Model& model, std::span<const TensorPrecision> tensors,
                    const Progress& progress) {
    std::vector<std::optional<double>> errors;
    errors.reserve(tensors.size());
    for (const TensorPrecision& t : tensors) {
        if (progress.cancelled())
            return cancelledError();
        progress(double(errors.size()) / double(std::max<std::size_t>(1, tensors.size())),
                 t.tensor);
        const Tensor* tensor = model.find(t.tensor);
        auto error = tensor ? relativeQuantError(*tensor, t.precision) : Result<double>(Error{});
        errors.push_back(error ? std::optional(*error) : std::nullopt);
    }
    progress(1.0, QStringLiteral("done"));
    return errors;
}

} // namespace cwb
