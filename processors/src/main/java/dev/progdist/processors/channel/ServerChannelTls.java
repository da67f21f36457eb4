package dev.progdist.processors.channel;

import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.SecretSource;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;

/**
 * The server's TLS identity on the second path: the channel certificate from the distribution CA
 * ({@code server/channel.p12}), loaded once. Each channel gets its own {@link SSLContext} around
 * it, so the trust manager can report refusals to that channel and no session is shared.
 */
public final class ServerChannelTls {

    private final KeyManager[] keyManagers;
    private final SecureRandom random = new SecureRandom();

    public ServerChannelTls(KeyManager[] keyManagers) {
        this.keyManagers = keyManagers;
    }

    /** Loads {@code server/channel.p12} with its password from {@link SecretSource} ({@code server-channel}). */
    public static ServerChannelTls fromHome(Home home) {
        Path store = home.serverChannelStore();
        char[] password = new SecretSource(home).get("server-channel");
        try {
            KeyStore ks = KeyStores.load(store, password);
            // SunX509 unwraps the PKCS#12 key once, here; the PKIX factory would run PBKDF2 on every
            // handshake (measured: about 2.3 ms, a quarter of a whole second-path handshake)
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
            kmf.init(ks, password);
            return new ServerChannelTls(kmf.getKeyManagers());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the second-path key store " + store + ": " + e.getMessage(), e);
        }
    }

    public SSLContext newContext(X509TrustManager trustManager) {
        try {
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(keyManagers, new javax.net.ssl.TrustManager[] {trustManager}, random);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create a TLS context: " + e.getMessage(), e);
        }
    }
}
