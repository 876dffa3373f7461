"""The tagger family: ``TimeTaggerBase`` and the simulated hardware and virtual taggers."""
