package dev.progdist.protocol.envelope;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * One Bouncy Castle provider instance for the few JCA operations only BC offers (CMS key agreement
 * with the X9.63 KDF). Never registered with {@code Security.addProvider}: the bulk AES-GCM must
 * keep resolving to the JDK's AES-NI implementation.
 */
final class Bc {

    private Bc() {
    }

    private static final class Holder {
        // constructing the provider costs tens of milliseconds; do it once, lazily
        static final Provider PROVIDER = new BouncyCastleProvider();
    }

    static Provider provider() {
        return Holder.PROVIDER;
    }
}
