package reliability

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/quiver-db/quiver/internal/testbin"
)

// quiverBin is the binary TestMain builds once for every test.
var quiverBin string

func TestMain(m *testing.M) { testbin.Main(m, &quiverBin) }

// server is one running `quiver serve`.
type server struct {
	cmd *exec.Cmd
	url string
	log *testbin.Log
}

// startServer starts quiver serve on dir at a free loopback port and
// waits until it is ready.
func startServer(t *testing.T, dir string, args ...string) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{url: "http://" + addr, log: &testbin.Log{}}
	s.cmd = exec.Command(quiverBin, append([]string{"serve", "--addr", addr, "--data", dir, "--model", ""}, args...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if s.cmd.ProcessState != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.kill()
	t.Fatalf("quiver serve not ready in 60s; log:\n%s", s.log)
	return nil
}

// kill sends SIGKILL and waits for the process.
func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}
