// SPDX-License-Identifier: GPL-3.0-or-later
#include "calibrationrun.h"

#include "baselinecache.h"
#include "fingerprint.h"
#include "textfile.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

namespace {

// Every input that changes the statistics: the same key, the same bytes (calibrate() is
// deterministic). Threads do not change them.
QString cacheFileName(const QString& modelSha, const QString& textSha,
                      const cwb::CalibrationOptions& o) {
    const QString identity = QStringLiteral("cwb-stats-v1|%1|%2|%3|%4|%5|%6")
                                 .arg(modelSha, textSha)
                                 .arg(o.sequences)
                                 .arg(o.sequenceLength)
                                 .arg(o.hessians)
                                 .arg(o.sampleRows);
    return QStringLiteral("calibration-%1.stats").arg(cwb::sha256Hex(identity.toUtf8()).left(32));
}

} // namespace

cwb::Result<CalibrationRun>
runCalibration(const CalibrationRequest& request, const cwb::Progress& progress,
               const std::function<void(const cwb::CalibrationText&)>& textRead) {
    QElapsedTimer timer;
    timer.start();
    progress(0.0, QStringLiteral("reading the text"));
    auto text = cwb::readCalibrationText(request.textPath);
    if (!text)
        return text.error();
    if (textRead)
        textRead(*text);
    const QString modelSha = request.fingerprint.isValid() ? request.fingerprint.result()
                                                           : cwb::modelFingerprint(*request.model);
    const QString dir = request.cacheDir.isEmpty() ? cwb::cacheDirectory() : request.cacheDir;
    const QString path = QDir(dir).filePath(cacheFileName(modelSha, text->sha256, request.options));

    CalibrationRun run;
    if (QFileInfo::exists(path)) {
        // A file that does not load, or holds other inputs' statistics, is recomputed.
        auto cached = cwb::CalibrationStats::load(path);
        if (cached && cached->modelSha256 == modelSha && cached->textSha256 == text->sha256) {
            run.stats = std::make_shared<const cwb::CalibrationStats>(std::move(cached.value()));
            run.path = path;
            run.fromCache = true;
            run.seconds = double(timer.nsecsElapsed()) / 1e9;
            progress(1.0, QStringLiteral("reused from the cache"));
            return run;
        }
    }
    if (progress.cancelled())
        return cwb::cancelledError();
    auto stats = cwb::calibrate(*request.model, *text, request.options, progress);
    if (!stats)
        return stats.error();
    run.seconds = double(timer.nsecsElapsed()) / 1e9;
    // Kept in memory either way: a cache that cannot be written costs the reuse, not the result.
    if (!QDir().mkpath(dir))
        run.warning = QStringLiteral("%1: cannot create the folder").arg(dir);
    else if (auto saved = stats->save(path); !saved)
        run.warning = saved.error().message;
    else
        run.path = path;
    run.stats = std::make_shared<const cwb::CalibrationStats>(std::move(stats.value()));
    return run;
}
