package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// PlotSeries is one engine's recall/QPS curve on an ANN chart.
type PlotSeries struct {
	Name   string
	Points []PlotPoint
}

// PlotPoint is one sweep point: recall@10 and single-thread queries/s.
type PlotPoint struct {
	Recall, QPS float64
}

// ANNSeries is the series of runs as ann-benchmarks draws it: the Pareto
// frontier (no run both more accurate and faster is left out), by ascending
// recall, so that sweeps over two knobs (ScaNN's leaves and re-ordering)
// draw one curve.
func ANNSeries(name string, runs []ANNRun) PlotSeries {
	pts := make([]PlotPoint, 0, len(runs))
	for _, r := range runs {
		if r.QPSSingle > 0 {
			pts = append(pts, PlotPoint{Recall: r.RecallAt10, QPS: r.QPSSingle})
		}
	}
	sort.Slice(pts, func(i, j int) bool {
		if pts[i].Recall != pts[j].Recall {
			return pts[i].Recall > pts[j].Recall
		}
		return pts[i].QPS > pts[j].QPS
	})
	var front []PlotPoint
	for _, p := range pts {
		if len(front) == 0 || p.QPS > front[len(front)-1].QPS {
			front = append(front, p)
		}
	}
	for i, j := 0, len(front)-1; i < j; i, j = i+1, j-1 {
		front[i], front[j] = front[j], front[i]
	}
	return PlotSeries{Name: name, Points: front}
}

// annResultFile is what ReadANNSeries needs of a result JSON: Quiver's
// (engine) or a peer script's (library), both with the runs of ANNRun.
type annResultFile struct {
	Engine  string   `json:"engine"`
	Library string   `json:"library"`
	Runs    []ANNRun `json:"runs"`
}

// ReadANNSeries reads a `quiver bench ann --json` or scripts/peers result
// file as a series named by its library (with version) or engine.
func ReadANNSeries(path string) (PlotSeries, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return PlotSeries{}, fmt.Errorf("read ann result: %w", err)
	}
	var f annResultFile
	if err := json.Unmarshal(b, &f); err != nil {
		return PlotSeries{}, fmt.Errorf("read ann result %s: %w", path, err)
	}
	name := f.Library
	if name == "" {
		name = f.Engine
	}
	if name == "" || len(f.Runs) == 0 {
		return PlotSeries{}, fmt.Errorf("read ann result %s: no engine name or no runs", path)
	}
	return ANNSeries(name, f.Runs), nil
}

// PlotANN draws the series on one chart, recall@10 across and queries/s
// (log scale) up, lines with markers and a legend, and saves it to path in
// the format its extension names (.svg, .png, .pdf).
func PlotANN(path, title string, series []PlotSeries) error {
	if len(series) == 0 {
		return fmt.Errorf("plot %s: no series", path)
	}
	p := plot.New()
	p.Title.Text = title + "\nqueries one at a time on 1 thread; each curve the Pareto frontier of its sweep"
	p.X.Label.Text = "Recall@10"
	p.Y.Label.Text = "Queries/s (log)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	p.Legend.Top = false
	p.Legend.Left = true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), vg.Points(8)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, s := range series {
		if len(s.Points) == 0 {
			return fmt.Errorf("plot %s: series %q has no points", path, s.Name)
		}
		xys := make(plotter.XYs, len(s.Points))
		for j, pt := range s.Points {
			xys[j].X, xys[j].Y = pt.Recall, pt.QPS
			lo, hi = math.Min(lo, pt.QPS), math.Max(hi, pt.QPS)
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return fmt.Errorf("plot %s: series %q: %w", path, s.Name, err)
		}
		color := plotutil.Color(i)
		line.Color, line.Width = color, vg.Points(1.5)
		points.Color, points.Shape, points.Radius = color, plotutil.Shape(i), vg.Points(3)
		p.Add(line, points)
		p.Legend.Add(s.Name, line, points)
	}
	// A little room above and below the curves on the log axis; without it
	// the axis snaps to whole decades and leaves most of the chart empty.
	p.Y.Min, p.Y.Max = lo/1.25, hi*1.25
	if err := p.Save(8*vg.Inch, 5.5*vg.Inch, path); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}
