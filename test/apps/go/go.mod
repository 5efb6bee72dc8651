module simterpose.test/goapp

go 1.21
