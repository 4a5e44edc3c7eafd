// SPDX-License-Identifier: BSD-2-Clause
module mempressure/go

go 1.19
