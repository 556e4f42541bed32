"""Operations plumbing: the Redis client, poll locks, metrics counters and health probes."""
