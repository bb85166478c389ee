// Package fakegcs runs fake-gcs-server in the test's process, so tests
// read and write gs:// through the real GCS client and Beam's gcs
// filesystem without a network.
package fakegcs

import (
	"net"
	"net/http"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// Start serves GCS's JSON API on a free loopback port until the test ends,
// creates the buckets, and points every GCS client made afterwards (in this
// process, and in child processes given os.Environ()) at it through
// STORAGE_EMULATOR_HOST. PublicHost is set, or media downloads would go
// elsewhere and reads fail. The server's handler is served on the listener
// that found the port: closing it for the server to bind the port again
// let another listener of the process take it in between ("bind: address
// already in use", seen in CI).
func Start(t testing.TB, buckets ...string) *fakestorage.Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	server, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", Port: uint16(l.Addr().(*net.TCPAddr).Port), PublicHost: host, NoListener: true,
	})
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	hs := &http.Server{Handler: server.HTTPHandler()}
	go hs.Serve(l)
	t.Cleanup(func() {
		hs.Close()
		server.Stop()
	})
	for _, b := range buckets {
		server.CreateBucket(b)
	}
	t.Setenv("STORAGE_EMULATOR_HOST", host)
	return server
}

// Put stores data as object name of bucket.
func Put(server *fakestorage.Server, bucket, name string, data []byte) {
	server.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: name}, Content: data})
}
