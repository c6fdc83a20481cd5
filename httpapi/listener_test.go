package httpapi

import (
	"bufio"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLimitListenerRefusesPastTheCap(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })}
	go func() { _ = srv.Serve(LimitListener(ln, 2)) }()
	defer srv.Close()

	// Two idle connections take both slots.
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		held = append(held, c)
	}
	time.Sleep(50 * time.Millisecond) // let the server accept them
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	require.Equal(t, 503, resp.StatusCode)
	c.Close()

	// A closed connection frees its slot.
	held[0].Close()
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, 5*time.Second, 20*time.Millisecond)
	held[1].Close()
}
