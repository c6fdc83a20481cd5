package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/quiver-db/quiver/bench"
)

func init() {
	registerBench("plot", "draw saved ANN results (quiver bench ann --json, scripts/peers) as one recall/QPS chart", runBenchPlot)
}

// fileList is a repeatable flag.
type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

func runBenchPlot(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("bench plot", flag.ContinueOnError)
	out := fs.String("out", "", "chart file: .svg, .png or .pdf (required)")
	title := fs.String("title", "ANN: recall@10 vs queries/s", "chart title (name the data set)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: quiver bench plot --out FILE.svg [--title T] RESULT.json...\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("bench plot: --out and at least one result file are required")
	}
	series, err := readSeries(fs.Args())
	if err != nil {
		return err
	}
	return savePlot(*out, *title, series)
}

// plotANNResult draws a fresh `bench ann` run beside saved peer results.
func plotANNResult(out string, res *bench.ANNResult, dataDir string, peers []string) error {
	series, err := readSeries(peers)
	if err != nil {
		return err
	}
	series = append([]bench.PlotSeries{bench.ANNSeries("quiver", res.Runs)}, series...)
	title := fmt.Sprintf("%s: %d base vectors, dim %d, %d queries, M=%d efConstruction=%d",
		filepath.Base(filepath.Clean(dataDir)), res.Vectors, res.Dim, res.Queries, res.M, res.EfConstruction)
	return savePlot(out, title, series)
}

func readSeries(paths []string) ([]bench.PlotSeries, error) {
	var series []bench.PlotSeries
	for _, p := range paths {
		s, err := bench.ReadANNSeries(p)
		if err != nil {
			return nil, err
		}
		series = append(series, s)
	}
	return series, nil
}

func savePlot(out, title string, series []bench.PlotSeries) error {
	if err := bench.PlotANN(out, title, series); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d series)\n", out, len(series))
	return nil
}
