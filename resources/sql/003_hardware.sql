-- SPDX-License-Identifier: GPL-3.0-or-later
-- Schema 3: hardware profiles for the cost model, with a dated list of examples.
CREATE TABLE hardware_profiles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('cpu', 'gpu')),
    memory_gib REAL NOT NULL CHECK (memory_gib > 0),
    bandwidth_gbs REAL NOT NULL CHECK (bandwidth_gbs > 0),
    int8_tops REAL NOT NULL CHECK (int8_tops > 0),
    fp16_tflops REAL NOT NULL CHECK (fp16_tflops > 0),
    price_per_hour REAL NOT NULL CHECK (price_per_hour >= 0),
    notes TEXT NOT NULL DEFAULT '',
    shipped INTEGER NOT NULL DEFAULT 0
);
-- Examples as of 2026-11, from public spec sheets and on-demand list prices: replace the prices
-- with yours. Peak throughputs are dense (no sparsity); CPU figures are the AVX-512/VNNI peaks of
-- the vCPUs rented.
INSERT INTO hardware_profiles (name, kind, memory_gib, bandwidth_gbs, int8_tops, fp16_tflops, price_per_hour, notes, shipped) VALUES
  ('Small VPS, 2 vCPU, 4 GiB', 'cpu', 4, 15, 0.4, 0.2, 0.03, 'example price (2026-11); replace with yours', 1),
  ('Cloud CPU, 16 vCPU, 64 GiB', 'cpu', 64, 80, 3.5, 1.7, 0.80, 'example price (2026-11); replace with yours', 1),
  ('Cloud CPU, 64 vCPU, 256 GiB', 'cpu', 256, 200, 14, 7, 3.20, 'example price (2026-11); replace with yours', 1),
  ('NVIDIA L4, 24 GB', 'gpu', 22.5, 300, 242, 121, 0.80, 'example price (2026-11); replace with yours', 1),
  ('NVIDIA A10G, 24 GB', 'gpu', 22.5, 600, 250, 125, 1.20, 'example price (2026-11); replace with yours', 1),
  ('NVIDIA A100, 80 GB', 'gpu', 80, 2039, 624, 312, 3.70, 'example price (2026-11); replace with yours', 1),
  ('NVIDIA H100 SXM, 80 GB', 'gpu', 80, 3350, 1979, 989, 6.90, 'example price (2026-11); replace with yours', 1);
