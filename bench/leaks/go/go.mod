module mempressure/bench/leaks

go 1.19
