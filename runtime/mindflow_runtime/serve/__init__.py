"""mf-serve: receiver -> decoder -> flow stitcher -> windower -> scorer -> sinks, one module each."""
