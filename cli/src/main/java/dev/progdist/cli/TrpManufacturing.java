package dev.progdist.cli;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.trp.TrpIdentityStore;

/**
 * Manufactures an emulated TRP against the development PKI: the key pair is generated inside the
 * TRP's store and only its CSR leaves it; the manufacturer CA certifies it; the store receives its
 * certificate and the distribution CA it will trust. Used by {@code trp manufacture}, the demo,
 * the bench and the integration tests.
 */
public final class TrpManufacturing {

    private TrpManufacturing() {
    }

    public static TrpIdentityStore manufacture(Home home, String device, KeyType keyType, boolean force) {
        DevelopmentPki pki = DevelopmentPki.open(home);
        var csr = TrpIdentityStore.manufacture(home, device, keyType, force);
        TrpIdentityStore.open(home, device).install(pki.certifyDevice(device, csr), pki.manufacturerCaCertificate(),
                pki.distributionCaCertificate());
        return TrpIdentityStore.open(home, device);
    }
}
