"""Virtual channels: iterators that add tags of new channels to the stream."""
