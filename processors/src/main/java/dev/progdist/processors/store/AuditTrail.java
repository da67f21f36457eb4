package dev.progdist.processors.store;

/**
 * Where stages report security-relevant events (logins, refusals, revocations). Implementations
 * must not block on slow storage for long and must never receive secrets.
 */
@FunctionalInterface
public interface AuditTrail {

    void record(String event, String actor, String subject, String detail);
}
