-- SPDX-License-Identifier: GPL-3.0-or-later
-- Schema 2: per-tensor results, run lineage, the command that reproduces a run, oneDNN's version.
CREATE TABLE tensor_results (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    tensor TEXT NOT NULL,
    precision TEXT NOT NULL,
    method TEXT NOT NULL DEFAULT 'rtn',
    bytes INTEGER NOT NULL,
    quant_error REAL,
    sensitivity REAL,
    PRIMARY KEY (run_id, tensor)
);
ALTER TABLE runs ADD COLUMN parent_run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL;
ALTER TABLE runs ADD COLUMN command TEXT;
ALTER TABLE runs ADD COLUMN onednn_version TEXT;
