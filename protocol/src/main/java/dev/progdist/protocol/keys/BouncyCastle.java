package dev.progdist.protocol.keys;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/** One Bouncy Castle provider instance for this package; never registered with the JVM. */
final class BouncyCastle {

    private BouncyCastle() {
    }

    private static final class Holder {
        // constructing the provider costs tens of milliseconds: once, lazily
        static final Provider PROVIDER = new BouncyCastleProvider();
    }

    static Provider provider() {
        return Holder.PROVIDER;
    }
}
