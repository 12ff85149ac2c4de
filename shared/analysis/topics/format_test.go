package topics

import "testing"

// TestFormatWeightPlainDecimal: weights and proportions never use an exponent.
func TestFormatWeightPlainDecimal(t *testing.T) {
	for x, want := range map[float64]string{
		0.304485: "0.304485", 1: "1", 0: "0", 0.5: "0.5", 0.0123456789: "0.0123457",
		2.64628e-05: "0.0000264628", 1e-06: "0.000001", 7.904681e-06: "0.00000790468", 0.0001: "0.0001",
	} {
		if got := FormatWeight(x); got != want {
			t.Errorf("FormatWeight(%g) = %q, want %q", x, got, want)
		}
	}
}
