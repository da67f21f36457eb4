package dev.progdist.gateway;

/** The device user's first-path credentials, held by the gateway for (re-)login. */
public record Credentials(String userId, char[] secret) {

    @Override
    public String toString() {
        return "Credentials[userId=" + userId + ", secret=***]";
    }
}
