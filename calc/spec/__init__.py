"""Reading network specs: located YAML, typed options, blocks and the builder."""
