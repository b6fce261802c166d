// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.h"
#include "runstoreoptions.h"
#include "terminal.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace cwb::cli {

namespace {

HardwareProfile fromArguments(const Arguments& a, HardwareProfile p) {
    p.kind = a.value(QStringLiteral("kind"), p.kind);
    p.memoryGiB = realOption(a, QStringLiteral("memory"), p.memoryGiB, 0);
    p.bandwidthGBs = realOption(a, QStringLiteral("bandwidth"), p.bandwidthGBs, 0);
    p.int8Tops = realOption(a, QStringLiteral("int8"), p.int8Tops, 0);
    p.fp16Tflops = realOption(a, QStringLiteral("fp16"), p.fp16Tflops, 0);
    p.pricePerHour = realOption(a, QStringLiteral("price"), p.pricePerHour, 0);
    p.notes = a.value(QStringLiteral("notes"), p.notes);
    return p;
}

int runHardware(const Arguments& a) {
    const QString action = a.positional.value(0);
    if (!QStringList{QStringLiteral("list"), QStringLiteral("add"), QStringLiteral("edit"),
                     QStringLiteral("remove")}
             .contains(action))
        throw UsageError{
            QStringLiteral("'hardware' takes list, add NAME, edit NAME or remove NAME, not '%1'")
                .arg(action)};
    if ((action == QLatin1String("list")) != (a.positional.size() == 1))
        throw UsageError{QStringLiteral("'hardware %1' %2")
                             .arg(action, action == QLatin1String("list")
                                              ? QStringLiteral("takes no name")
                                              : QStringLiteral("needs a NAME"))};
    auto store = openRunStore(a);
    if (!store) {
        printError(store.error().message);
        return 1;
    }
    RunStore& s = **store;
    if (action == QLatin1String("list")) {
        auto profiles = s.hardwareProfiles();
        if (!profiles) {
            printError(profiles.error().message);
            return 1;
        }
        if (a.flag(QStringLiteral("json"))) {
            QJsonArray array;
            for (const HardwareProfile& p : *profiles)
                array.append(QJsonObject{{QStringLiteral("name"), p.name},
                                         {QStringLiteral("kind"), p.kind},
                                         {QStringLiteral("memory_gib"), p.memoryGiB},
                                         {QStringLiteral("bandwidth_gb_s"), p.bandwidthGBs},
                                         {QStringLiteral("int8_tops"), p.int8Tops},
                                         {QStringLiteral("fp16_tflops"), p.fp16Tflops},
                                         {QStringLiteral("price_per_hour"), p.pricePerHour},
                                         {QStringLiteral("notes"), p.notes},
                                         {QStringLiteral("shipped"), p.shipped}});
            printOut(
                QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("profiles"), array}})
                                      .toJson(QJsonDocument::Compact)) +
                QLatin1Char('\n'));
            return 0;
        }
        QString out = QStringLiteral("%1 %2 %3 %4 %5 %6 %7  notes\n")
                          .arg(QStringLiteral("name"), -30)
                          .arg(QStringLiteral("kind"), -4)
                          .arg(QStringLiteral("GiB"), 7)
                          .arg(QStringLiteral("GB/s"), 7)
                          .arg(QStringLiteral("int8 TOPS"), 10)
                          .arg(QStringLiteral("fp16 TFLOPS"), 12)
                          .arg(QStringLiteral("$/hour"), 7);
        for (const HardwareProfile& p : *profiles)
            out += QStringLiteral("%1 %2 %3 %4 %5 %6 %7  %8\n")
                       .arg(p.name, -30)
                       .arg(p.kind, -4)
                       .arg(p.memoryGiB, 7, 'f', 1)
                       .arg(p.bandwidthGBs, 7, 'f', 0)
                       .arg(p.int8Tops, 10, 'f', 1)
                       .arg(p.fp16Tflops, 12, 'f', 1)
                       .arg(p.pricePerHour, 7, 'f', 2)
                       .arg(p.notes);
        printOut(out);
        return 0;
    }
    const QString name = a.positional[1];
    Result<void> done;
    if (action == QLatin1String("add")) {
        for (const char* required : {"kind", "memory", "bandwidth", "int8", "fp16", "price"})
            if (!a.has(QLatin1String(required)))
                throw UsageError{QStringLiteral("'hardware add' needs --kind, --memory, "
                                                "--bandwidth, --int8, --fp16 and --price")};
        HardwareProfile p;
        p.name = name;
        auto id = s.addHardware(fromArguments(a, p));
        done = id ? Result<void>{} : Result<void>{id.error()};
    } else if (action == QLatin1String("edit")) {
        auto current = s.hardwareProfile(name);
        done =
            current ? s.updateHardware(fromArguments(a, *current)) : Result<void>{current.error()};
    } else {
        done = s.removeHardware(name);
    }
    if (!done) {
        printError(done.error().message);
        return 1;
    }
    printOut(QStringLiteral("%1: %2\n")
                 .arg(name, action == QLatin1String("add")    ? QStringLiteral("added")
                            : action == QLatin1String("edit") ? QStringLiteral("changed")
                                                              : QStringLiteral("removed")));
    return 0;
}

} // namespace

Command hardwareCommand() {
    return Command{
        QStringLiteral("hardware"),
        QStringLiteral("list | add NAME --kind cpu|gpu --memory GiB --bandwidth GB/s --int8 TOPS "
                       "--fp16 TFLOPS --price $/h "
                       "| edit NAME [--…] | remove NAME"),
        QStringLiteral("The hardware profiles the cost model prices runs on (the shipped list's "
                       "prices are examples)."),
        {QStringLiteral("ACTION"), QStringLiteral("[NAME]")},
        {
            {QStringLiteral("kind"), QStringLiteral("K"), QStringLiteral("cpu or gpu")},
            {QStringLiteral("memory"), QStringLiteral("GiB"),
             QStringLiteral("memory for weights and KV cache")},
            {QStringLiteral("bandwidth"), QStringLiteral("GB/s"),
             QStringLiteral("memory bandwidth")},
            {QStringLiteral("int8"), QStringLiteral("TOPS"), QStringLiteral("dense int8 peak")},
            {QStringLiteral("fp16"), QStringLiteral("TFLOPS"), QStringLiteral("dense fp16 peak")},
            {QStringLiteral("price"), QStringLiteral("$/h"), QStringLiteral("price per hour")},
            {QStringLiteral("notes"), QStringLiteral("TEXT"),
             QStringLiteral("where the figures come from")},
            dbOption(),
            {QStringLiteral("json"), {}, QStringLiteral("list: print one JSON object on stdout")},
        },
        runHardware,
    };
}

} // namespace cwb::cli
