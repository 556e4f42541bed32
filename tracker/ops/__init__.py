"""Operations plumbing: the Redis client factory, poll locks, metrics counters and health probes."""
