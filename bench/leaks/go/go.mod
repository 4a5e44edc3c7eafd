// SPDX-License-Identifier: GPL-2.0
module mempressure/bench/leaks

go 1.19
