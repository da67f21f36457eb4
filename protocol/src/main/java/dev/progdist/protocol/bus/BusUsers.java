package dev.progdist.protocol.bus;

import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.keys.SecretSource;

/**
 * The device bus's users and where their passwords come from ({@link SecretSource} names). Free
 * of broker classes, so a TRP can use it without the Artemis server on its class path.
 *
 * <ul>
 *   <li>{@value #GATEWAY_USER}: the gateway's own client; password {@value #GATEWAY_SECRET}.</li>
 *   <li>{@code trp-<deviceId>}: one TRP; password {@code bus-trp-<deviceId>}, that is
 *       {@code PROGDIST_BUS_TRP_<DEVICEID>_PASSWORD} or {@code secrets/bus-trp-<deviceId>.password}
 *       in the home the gateway and the TRP share.</li>
 * </ul>
 */
public final class BusUsers {

    /** The gateway's own bus user. */
    public static final String GATEWAY_USER = "gateway";
    /** {@link SecretSource} name of the gateway's bus password. */
    public static final String GATEWAY_SECRET = "bus-gateway";
    static final String TRP_USER_PREFIX = "trp-";
    private static final String TRP_SECRET_PREFIX = "bus-trp-";

    private BusUsers() {
    }

    /** The bus user of the TRP of {@code deviceId}. */
    public static String trpUser(String deviceId) {
        return TRP_USER_PREFIX + DeviceId.require(deviceId);
    }

    /** The {@link SecretSource} name of the bus password of the TRP of {@code deviceId}. */
    public static String trpSecretName(String deviceId) {
        return TRP_SECRET_PREFIX + DeviceId.require(deviceId);
    }

    /** The device of a TRP bus user, or {@code null} if {@code user} is not one. */
    static String deviceOfUser(String user) {
        if (user == null || !user.startsWith(TRP_USER_PREFIX)) {
            return null;
        }
        String device = user.substring(TRP_USER_PREFIX.length());
        return DeviceId.isValid(device) ? device : null;
    }
}
