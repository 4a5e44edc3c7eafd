module mempressure/go

go 1.19
