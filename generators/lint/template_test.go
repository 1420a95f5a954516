package lint

import (
	"slices"
	"testing"
)

func TestExpandTemplates(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`rate(x[5m])`, []string{`rate(x[5m])`}},
		{`rate(x[$__rate_interval])`, []string{`rate(x[5m])`}},
		{`rate(x[${__interval}])`, []string{`rate(x[5m])`}},
		{`rate(x[[[interval]]])`, []string{`rate(x[5m])`}},
		{`increase(x[${__range_s}s])`, []string{`increase(x[300s])`}},
		{`max_over_time(rate(x[5m])[$__range:$__interval])`, []string{`max_over_time(rate(x[5m])[5m:5m])`}},
		{`x offset $shift`, []string{`x offset 5m`}},
		{`x{a="$a", b=~"${b:regex}", c="[[c]]"}`, []string{`x{a="__grafana_var_a", b=~"__grafana_var_b", c="__grafana_var_c"}`}},
		{`sum by ($group, pod) (x)`, []string{`sum by (__grafana_var_group, pod) (x)`}},
		{`a / on(${match}) b`, []string{`a / on(__grafana_var_match) b`}},
		{`vllm:${name}_total`, []string{`vllm:__grafana_var_name_total`}},
		{`$metric{job="a"}`, []string{`__grafana_var_metric{job="a"}`}},
		{`x{job="a", $filters}`, []string{`x{job="a", __grafana_var_filters="x"}`}},
		{`x / $__range_s`, []string{`x / 300`}},
		{`label_replace(x, "a", "$1", "b", "(.*)")`, []string{`label_replace(x, "a", "$1", "b", "(.*)")`}},
		{`x > $threshold`, []string{`x > 1`, `x > __grafana_var_threshold`}},
		{`histogram_quantile($q, x)`, []string{`histogram_quantile(1, x)`, `histogram_quantile(__grafana_var_q, x)`}},
		{`"\"$a\"" + $b`, []string{`"\"__grafana_var_a\"" + 1`, `"\"__grafana_var_a\"" + __grafana_var_b`}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := expandTemplates(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("expandTemplates(%q)\n\tgot  %q\n\twant %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestTemplatedQueriesParse checks that real-world dashboard queries parse
// once their variables are replaced.
func TestTemplatedQueriesParse(t *testing.T) {
	for _, q := range []string{
		`histogram_quantile($quantile, sum by (le, $group) (rate(x_bucket{model=~"${model:regex}"}[$__rate_interval])))`,
		`sum(rate(x[$__rate_interval])) by ($group) > $threshold`,
		`$metric`,
		`sum(increase(x[$__range])) / ($__range_s / 60)`,
		`topk($n, sum by (model) (rate(x[[[interval]]])))`,
		`rate(x[$__interval] offset $__interval)`,
	} {
		fs := onlyCheck(Expr(q, Options{}), promqlSyntaxName)
		if len(fs) != 0 {
			t.Errorf("%s:%s", q, describe(fs))
		}
	}
}
