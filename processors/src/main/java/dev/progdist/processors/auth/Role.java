package dev.progdist.processors.auth;

import java.util.Locale;

/** What a user may do: {@code user} owns devices; {@code operator} publishes, registers, rolls out. */
public enum Role {
    USER, OPERATOR;

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role parse(String value) {
        for (Role r : values()) {
            if (r.dbValue().equalsIgnoreCase(value)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown role '" + value + "': use user or operator");
    }
}
