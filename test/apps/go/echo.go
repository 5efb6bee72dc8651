package main

// A line echo server and a client that writes each request in two pieces,
// a millisecond apart: the server's reads (the Go runtime's edge-triggered
// epoll underneath) must see the second piece arrive after it emptied the
// socket of the first. Every answer is checked; the client prints how many
// of its requests were answered right.

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

func echoServer(port string) {
	listener, err := net.Listen("tcp", ":"+port)
	if err != nil {
		fail("listen: %v", err)
	}
	fmt.Printf("listening on port %s\n", port)
	for {
		conn, err := listener.Accept()
		if err != nil {
			fail("accept: %v", err)
		}
		go func() {
			defer conn.Close()
			reader := bufio.NewReader(conn)
			for {
				line, err := reader.ReadString('\n')
				if err != nil {
					return
				}
				if _, err := conn.Write([]byte(line)); err != nil {
					return
				}
			}
		}()
	}
}

// One connection sending `requests` requests, each in two writes; returns how many answers matched.
func echoConnection(address string, id, requests int) int {
	conn, err := net.Dial("tcp", address)
	if err != nil {
		fmt.Printf("connection %d: %v\n", id, err)
		return 0
	}
	defer conn.Close()
	reader := bufio.NewReader(conn)
	right := 0
	for i := 0; i < requests; i++ {
		request := fmt.Sprintf("connection %d request %d\n", id, i)
		half := len(request) / 2
		if _, err := conn.Write([]byte(request[:half])); err != nil {
			break
		}
		time.Sleep(time.Millisecond)
		if _, err := conn.Write([]byte(request[half:])); err != nil {
			break
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		answer, err := reader.ReadString('\n')
		if err != nil {
			fmt.Printf("connection %d request %d: %v\n", id, i, err)
			break
		}
		if answer == request {
			right++
		}
	}
	return right
}

func echoClient(host, port string, connections, requests int) {
	address := net.JoinHostPort(host, port)
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	right := 0
	for c := 0; c < connections; c++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			n := echoConnection(address, id, requests)
			mu.Lock()
			right += n
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	fmt.Printf("answered %d/%d in %.3f s\n", right, connections*requests, time.Since(start).Seconds())
	if right != connections*requests {
		os.Exit(1)
	}
}

// echoMain runs `go-app echo-server PORT` or `go-app echo-client HOST PORT CONNECTIONS REQUESTS`; false for other arguments.
func echoMain(args []string) bool {
	switch {
	case len(args) == 2 && args[0] == "echo-server":
		echoServer(args[1])
	case len(args) == 5 && args[0] == "echo-client":
		connections, err1 := strconv.Atoi(args[3])
		requests, err2 := strconv.Atoi(args[4])
		if err1 != nil || err2 != nil {
			fail("echo-client HOST PORT CONNECTIONS REQUESTS")
		}
		echoClient(args[1], args[2], connections, requests)
	default:
		return false
	}
	return true
}
