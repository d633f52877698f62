package projects

// LayerStat is one layer's statistics as a run last saw them (the Train
// pane's Layers tab), kept with the run so that its diagnosis reads the
// same after a reopen. UpdateRatio is the layer's typical (median)
// update-to-weight ratio over the run.
type LayerStat struct {
	Node        string  `json:"node"`
	Op          string  `json:"op"`
	Mean        float64 `json:"mean"`
	Std         float64 `json:"std"`
	Zero        float64 `json:"zero,omitempty"`
	Saturated   float64 `json:"saturated,omitempty"`
	Dead        float64 `json:"dead,omitempty"`
	GradStd     float64 `json:"grad_std,omitempty"`
	HasWeight   bool    `json:"has_weight,omitempty"`
	UpdateRatio float64 `json:"update_ratio,omitempty"`
	// NonFinite is set when the activations were not finite (a diverged
	// run); the float fields are then 0, as JSON cannot hold NaN.
	NonFinite bool `json:"non_finite,omitempty"`
}
