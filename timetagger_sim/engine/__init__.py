"""The stream machinery: the engine thread that produces blocks and feeds its clients."""
