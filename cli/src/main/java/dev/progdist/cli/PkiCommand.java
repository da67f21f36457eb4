package dev.progdist.cli;

import dev.progdist.protocol.keys.Crls;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.devpki.RevocationReason;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.Pem;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "pki", mixinStandardHelpOptions = true,
        description = "The development PKI: manufacturer CA, distribution CA, publisher key, server certificates.",
        subcommands = {PkiCommand.Init.class, PkiCommand.SignCsr.class, PkiCommand.Revoke.class, PkiCommand.Crl.class})
final class PkiCommand {

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create the development PKI in $PROGDIST_HOME/pki and the server's key stores.")
    static final class Init implements Callable<Integer> {

        @Mixin
        HomeOption homeOption;

        @Option(names = "--force", description = "replace an existing PKI (every certificate issued so far stops being trusted)")
        boolean force;

        @Option(names = "--server-name", paramLabel = "NAME", split = ",",
                description = "host names / IP addresses for the server's HTTPS certificate (default: localhost,127.0.0.1)")
        List<String> serverNames;

        @Override
        public Integer call() {
            DevelopmentPki pki = DevelopmentPki.init(homeOption.home(),
                    serverNames == null || serverNames.isEmpty() ? DevelopmentPki.DEFAULT_SERVER_NAMES : serverNames,
                    force);
            System.out.println("Development PKI created in " + pki.home().pkiDir());
            print("manufacturer CA", pki.manufacturerCaCertificate());
            print("distribution CA", pki.distributionCaCertificate());
            print("publisher", pki.publisherCertificate());
            return 0;
        }
    }

    @Command(name = "sign-csr", mixinStandardHelpOptions = true,
            description = "Certify a key a real TRP generated itself: a PKCS#10 CSR in, a device certificate out.")
    static final class SignCsr implements Callable<Integer> {

        @Mixin
        HomeOption homeOption;

        @Option(names = "--device", required = true, description = "device ID to put in the certificate subject")
        String device;

        @Option(names = "--csr", required = true, paramLabel = "FILE", description = "PEM PKCS#10 request")
        Path csr;

        @Option(names = "--out", required = true, paramLabel = "CERT", description = "where to write the PEM certificate")
        Path out;

        @Override
        public Integer call() {
            DevelopmentPki pki = DevelopmentPki.open(homeOption.home());
            X509Certificate cert = pki.certifyDevice(device, Pem.readCsr(csr));
            Pem.writeCertificates(out, List.of(cert, pki.manufacturerCaCertificate()));
            print("device " + device, cert);
            System.out.println("Written to " + out + " (device certificate followed by the manufacturer CA)");
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke every unexpired certificate issued for a device and re-issue the manufacturer CA's CRL.")
    static final class Revoke implements Callable<Integer> {

        @Mixin
        HomeOption homeOption;

        @Option(names = "--device", required = true, description = "device ID whose certificates to revoke")
        String device;

        @Option(names = "--reason", paramLabel = "REASON", defaultValue = "unspecified",
                description = "keyCompromise, cessationOfOperation or unspecified (default: ${DEFAULT-VALUE})")
        String reason;

        @Override
        public Integer call() {
            RevocationReason why = RevocationReason.parse(reason);
            DevelopmentPki pki = DevelopmentPki.open(homeOption.home());
            X509CRL crl = pki.revokeDevice(device, why);
            for (X509Certificate cert : pki.issuedCertificates(device)) {
                X509CRLEntry entry = crl.getRevokedCertificate(cert);
                String serial = cert.getSerialNumber().toString(16);
                if (entry != null) {
                    System.out.printf("Revoked device %s certificate serial %s (%s, since %s)%n", device, serial,
                            entry.getRevocationReason() == null ? "unspecified" : entry.getRevocationReason(),
                            entry.getRevocationDate().toInstant());
                } else {
                    System.out.printf("Not revoked: device %s certificate serial %s (expired %s)%n", device, serial,
                            cert.getNotAfter().toInstant());
                }
            }
            printCrl(pki, crl);
            return 0;
        }
    }

    @Command(name = "crl", mixinStandardHelpOptions = true,
            description = "Re-issue the manufacturer CA's CRL. Do so before its next update (30 days after issue): servers then refuse every TRP.")
    static final class Crl implements Callable<Integer> {

        @Mixin
        HomeOption homeOption;

        @Override
        public Integer call() {
            DevelopmentPki pki = DevelopmentPki.open(homeOption.home());
            printCrl(pki, pki.issueCrl());
            return 0;
        }
    }

    static void printCrl(DevelopmentPki pki, X509CRL crl) {
        int entries = crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
        System.out.printf("CRL number %s written to %s: %d revoked certificate(s), next update %s%n",
                Crls.number(crl), DevelopmentPki.crlFile(pki.home()), entries, crl.getNextUpdate().toInstant());
    }

    static void print(String what, X509Certificate cert) {
        System.out.printf("  %-16s %s%n  %-16s SHA-256 %s%n", what, cert.getSubjectX500Principal().getName(), "",
                Fingerprints.sha256(cert));
    }
}
