package dev.progdist.protocol.wire;

/**
 * Names shared by the two ends of the device bus (gateway ⇄ TRP). Messages are JMS text (JSON)
 * or bytes, never Java-serialized objects; the request kind travels in the {@link #KIND_HEADER}
 * header, a Java identifier as JMS requires.
 */
public final class DeviceBusMessage {

    public static final String KIND_HEADER = "progdistKind";
    /** Header naming the device whose queues a gateway request goes to (gateway side only). */
    public static final String DEVICE_HEADER = "progdistDeviceId";
    /**
     * On a {@code channel-open} request: the program the TRP should fetch once the server has
     * authenticated it (absent: authenticate only). Version and mode are optional: absent or empty
     * mean "the latest" and "the server's choice".
     */
    public static final String FETCH_PROGRAM_HEADER = "progdistFetchProgram";
    public static final String FETCH_VERSION_HEADER = "progdistFetchVersion";
    public static final String FETCH_MODE_HEADER = "progdistFetchMode";

    private DeviceBusMessage() {
    }
}
