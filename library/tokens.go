package library

// TokenCounter returns the series whose rate is tokens per second for role
// RolePromptTokens or RoleGenerationTokens: the engine's counter where it
// has one (vLLM), else the _sum of the per-request length histogram (TGI).
func (c *Catalog) TokenCounter(r Role) (series string, family Metric, ok bool) {
	if m, ok := c.ByRole(r); ok {
		return m.Name, m, true
	}
	lengthRole := map[Role]Role{RolePromptTokens: RolePromptLength, RoleGenerationTokens: RoleGenerationLength}[r]
	if m, ok := c.ByRole(lengthRole); ok && m.Type == Histogram {
		return m.Series("_sum"), m, true
	}
	return "", Metric{}, false
}
