// A Go program for simterpose: goroutines, channels and a WaitGroup. The Go
// runtime brings its own threads, futexes, signals and clone flags, so it
// checks more of the mediator than its few lines suggest. The output depends
// only on the results, never on which goroutine ran first.
package main

import (
	"fmt"
	"os"
	"sort"
	"sync"
)

func fail(format string, args ...any) {
	fmt.Printf("FAILED: "+format+"\n", args...)
	os.Exit(1)
}

// A pipeline: numbers → squares (several workers) → a summing collector.
func pipeline(workers, count int) (int, []int) {
	numbers := make(chan int)
	squares := make(chan int, 16)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range numbers {
				squares <- n * n
			}
		}()
	}
	go func() {
		for n := 1; n <= count; n++ {
			numbers <- n
		}
		close(numbers)
	}()
	go func() {
		wg.Wait()
		close(squares)
	}()
	sum := 0
	var firstFew []int
	for s := range squares {
		sum += s
		if s <= 25 {
			firstFew = append(firstFew, s)
		}
	}
	sort.Ints(firstFew)
	return sum, firstFew
}

// Many goroutines adding to a counter under a mutex.
func mutexCounter(goroutines, increments int) int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < increments; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return counter
}

// A token passed around a ring of goroutines over unbuffered channels.
func ring(size, laps int) int {
	channels := make([]chan int, size)
	for i := range channels {
		channels[i] = make(chan int)
	}
	done := make(chan int)
	for i := 0; i < size; i++ {
		go func(in, out chan int, last bool) {
			for token := range in {
				if last && token == size*laps-1 {
					done <- token + 1
					return
				}
				out <- token + 1
			}
		}(channels[i], channels[(i+1)%size], i == size-1)
	}
	channels[0] <- 0
	return <-done
}

func main() {
	if len(os.Args) > 1 {
		if !echoMain(os.Args[1:]) {
			fail("usage: go-app [echo-server PORT | echo-client HOST PORT CONNECTIONS REQUESTS]")
		}
		return
	}
	const count = 1000
	sum, firstFew := pipeline(8, count)
	fmt.Printf("pipeline: sum of squares 1..%d = %d, smallest %v\n", count, sum, firstFew)
	if want := count * (count + 1) * (2*count + 1) / 6; sum != want {
		fail("pipeline sum %d, want %d", sum, want)
	}
	counter := mutexCounter(16, 1000)
	fmt.Printf("mutex: counter = %d\n", counter)
	if counter != 16000 {
		fail("mutex counter %d, want 16000", counter)
	}
	hops := ring(10, 50)
	fmt.Printf("ring: token made %d hops\n", hops)
	if hops != 500 {
		fail("ring hops %d, want 500", hops)
	}
	fmt.Println("EXIT-SUCCESS")
}
