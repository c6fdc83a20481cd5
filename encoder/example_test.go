package encoder_test

import (
	"context"
	"fmt"
	"log"

	"github.com/quiver-db/quiver/encoder"
)

// Load a model directory fetched by `make model` and turn texts into
// vectors. An Encoder is safe for concurrent use; load it once.
func Example() {
	enc, err := encoder.Load("models/all-MiniLM-L6-v2", encoder.Options{})
	if err != nil {
		log.Fatal(err)
	}
	vecs, err := enc.Encode(context.Background(), []string{"Toy Story (1995)", "Heat (1995)"})
	if err != nil {
		log.Fatal(err)
	}
	pooling, normalized := enc.Pooling()
	fmt.Println(enc.Name(), enc.Dim(), enc.MaxSeqLen(), pooling, normalized, len(vecs))
}
