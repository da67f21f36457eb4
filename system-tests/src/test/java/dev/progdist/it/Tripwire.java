package dev.progdist.it;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A harmless stand-in for a deserialization gadget: its {@code readObject} only records that it
 * ran. A test that sends one over JMS asserts that {@link #RAN} stays false.
 */
public final class Tripwire implements Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    /** Set when any instance is deserialized in this JVM. */
    public static final AtomicBoolean RAN = new AtomicBoolean();

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        RAN.set(true);
        in.defaultReadObject();
    }
}
