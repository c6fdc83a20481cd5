package bench

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestANNSeriesKeepsTheParetoFrontier(t *testing.T) {
	s := ANNSeries("scann", []ANNRun{
		{RecallAt10: 0.90, QPSSingle: 5000},
		{RecallAt10: 0.80, QPSSingle: 4000}, // dominated by the 0.90 run
		{RecallAt10: 0.95, QPSSingle: 3000},
		{RecallAt10: 0.70, QPSSingle: 9000},
		{RecallAt10: 0.99, QPSSingle: 0}, // no speed measured: left out
	})
	assert.Equal(t, "scann", s.Name)
	assert.Equal(t, []PlotPoint{{0.70, 9000}, {0.90, 5000}, {0.95, 3000}}, s.Points)
}

// TestPlotANNFromResultFiles writes a Quiver result and a peer's, reads
// both back as series and checks the chart is well-formed SVG naming both.
func TestPlotANNFromResultFiles(t *testing.T) {
	dir := t.TempDir()
	quiver := ANNResult{Engine: "quiver", Runs: []ANNRun{
		{Ef: 10, RecallAt10: 0.71, QPSSingle: 12000}, {Ef: 40, RecallAt10: 0.92, QPSSingle: 4000},
		{Ef: 200, RecallAt10: 0.985, QPSSingle: 1100},
	}}
	peer := map[string]any{"library": "hnswlib 0.8.0", "build_seconds": 3.5, "runs": []map[string]any{
		{"ef": 10, "recall_at_10": 0.69, "qps_single": 15000.0, "qps_all_cores": 20000.0},
		{"ef": 80, "recall_at_10": 0.95, "qps_single": 2500.0, "qps_all_cores": 4000.0},
	}}
	qpath, ppath := filepath.Join(dir, "quiver.json"), filepath.Join(dir, "hnswlib.json")
	writeJSON(t, qpath, quiver)
	writeJSON(t, ppath, peer)

	var series []PlotSeries
	for _, p := range []string{qpath, ppath} {
		s, err := ReadANNSeries(p)
		require.NoError(t, err)
		series = append(series, s)
	}
	require.Equal(t, "hnswlib 0.8.0", series[1].Name)
	require.Len(t, series[0].Points, 3)

	out := filepath.Join(dir, "chart.svg")
	require.NoError(t, PlotANN(out, "glove-100 test", series))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	requireWellFormedXML(t, b)
	assert.Contains(t, string(b), "<svg")
	for _, want := range []string{"quiver", "hnswlib 0.8.0", "glove-100 test", "Recall@10"} {
		assert.Contains(t, string(b), want)
	}
}

func TestPlotANNRefusesEmptyInput(t *testing.T) {
	dir := t.TempDir()
	require.Error(t, PlotANN(filepath.Join(dir, "a.svg"), "t", nil))
	require.Error(t, PlotANN(filepath.Join(dir, "b.svg"), "t", []PlotSeries{{Name: "empty"}}))
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"engine": "quiver", "runs": []}`), 0o644))
	_, err := ReadANNSeries(bad)
	require.Error(t, err)
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func requireWellFormedXML(t *testing.T, b []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		require.NoError(t, err)
	}
}
