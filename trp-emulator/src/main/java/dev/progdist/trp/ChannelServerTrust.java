package dev.progdist.trp;

import dev.progdist.protocol.keys.CertificateProfile;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * How the TRP judges the server on the second path: the chain must validate (PKIX) to the
 * distribution CA the TRP received at manufacture, and the leaf must be the distribution server's
 * second-path certificate (its subject, EKU serverAuth). Any other certificate from that CA, such
 * as the publisher's, is refused. There is no host name to check: the TRP talks to "the server".
 */
final class ChannelServerTrust extends X509ExtendedTrustManager {

    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

    private final X509ExtendedTrustManager pkix;

    ChannelServerTrust(X509ExtendedTrustManager pkix) {
        this.pkix = pkix;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        pkix.checkServerTrusted(chain, authType, engine);
        checkLeaf(chain[0]);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        pkix.checkServerTrusted(chain, authType, socket);
        checkLeaf(chain[0]);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkServerTrusted(chain, authType);
        checkLeaf(chain[0]);
    }

    private static void checkLeaf(X509Certificate leaf) throws CertificateException {
        X500Name expected = CertificateProfile.name(CertificateProfile.SERVER_CHANNEL_SUBJECT);
        X500Name actual = X500Name.getInstance(leaf.getSubjectX500Principal().getEncoded());
        if (!expected.equals(actual)) {
            throw new CertificateException("the server presented " + leaf.getSubjectX500Principal().getName()
                    + ", not the distribution server's second-path certificate");
        }
        List<String> eku;
        try {
            eku = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new CertificateException("unreadable extended key usage", e);
        }
        if (eku == null || !eku.contains(SERVER_AUTH)) {
            throw new CertificateException("the server certificate is not for server authentication");
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("a TRP authenticates servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("a TRP authenticates servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a TRP authenticates servers only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.getAcceptedIssuers();
    }
}
