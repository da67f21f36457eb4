package dev.progdist.gateway;

/**
 * How the gateway ends its process when it cannot go on (its device bus stopped). The default
 * exits the JVM; in-process tests bind their own as {@code gatewayExit}.
 */
@FunctionalInterface
public interface GatewayExit {

    /** Exit status when the device bus stopped under a running gateway. */
    int BUS_STOPPED = 4;

    void exit(int status);

    /**
     * Exits the JVM from a thread of its own (the caller may be one the shutdown waits for), and
     * halts it if the shutdown hooks (Camel's stop, JMS listeners retrying a dead broker) take
     * longer than 30 s: the status reaches the supervisor either way.
     */
    GatewayExit SYSTEM = status -> {
        Thread halt = new Thread(() -> {
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(status);
        }, "progdist-gateway-halt");
        halt.setDaemon(true);
        halt.start();
        new Thread(() -> System.exit(status), "progdist-gateway-exit").start();
    };
}
