"""The shared case core of 数字城管 (GB/T 30428): categories as data, the 7-step loop, limits."""
