package dev.progdist.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.progdist.processors.pki.DeviceCertificateException;
import dev.progdist.processors.pki.DeviceCertificateValidator;
import dev.progdist.processors.pki.ValidatedDevice;
import dev.progdist.processors.program.BlobStore;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.envelope.EnvelopeException;
import dev.progdist.protocol.envelope.ProgramSealer;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.Pem;
import dev.progdist.protocol.program.EnvelopeMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code program seal}: the envelope of a published program for one device certificate, made
 * offline from this home's catalog, for integrators who provision devices without a live second
 * path. The certificate is validated first exactly as the server validates a TRP (manufacturer CA,
 * validity, key usage, CRL); the stored publisher signature is verified before anything is sealed.
 * Writes the envelope and, beside it, {@code FILE.json} with what a TRP needs to install it (the
 * fields of a DeliveryStart, without a server nonce: an offline envelope has no session).
 */
@Command(name = "seal",
        description = "Seal a published program offline for one device certificate (validated first).")
final class ProgramSealCommand implements Callable<Integer> {

    /** {@code --version} names the program's version here, so only the help half of the standard options. */
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Mixin
    HomeOption homeOption;

    @Option(names = "--id", required = true, description = "program ID")
    String programId;

    @Option(names = "--version", required = true, description = "published version")
    String version;

    @Option(names = "--device-cert", required = true, paramLabel = "PEM",
            description = "the device certificate (PEM; may be followed by its chain)")
    Path deviceCert;

    @Option(names = "--mode", required = true, paramLabel = "MODE", description = "direct or wrapped")
    String mode;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "where to write the envelope")
    Path out;

    @Override
    public Integer call() throws Exception {
        EnvelopeMode parsedMode = EnvelopeMode.parse(mode);
        Home home = homeOption.home();
        ValidatedDevice device;
        try {
            device = DeviceCertificateValidator.forHome(home, Clock.systemUTC()).validate(Pem.readCertificates(deviceCert));
        } catch (DeviceCertificateException e) {
            System.err.println("Refused: the device certificate is not acceptable: " + e.reason().code() + " ("
                    + e.getMessage() + ")");
            return 3;
        }
        ProgramCatalog.ProgramVersion program;
        Path blob;
        try (Database db = UserCommand.openDatabase(home)) {
            ProgramCatalog catalog = new ProgramCatalog(db, BlobStore.forHome(home), Clock.systemUTC());
            program = catalog.find(programId, version).orElse(null);
            if (program == null) {
                System.err.println("Refused: no published program " + programId + " version " + version);
                return 3;
            }
            blob = catalog.blob(program);
        }
        X509Certificate publisher = Pem.readCertificate(home.pkiDir().resolve("publisher.crt"));
        if (!program.statement().isSignedBy(publisher.getPublicKey(), program.publisherSignature()) || !blobMatches(blob, program)) {
            System.err.println("Refused: the stored program does not match its publisher signature");
            return 3;
        }
        try {
            ProgramSealer.seal(parsedMode, device.certificate(), blob, out, new SecureRandom());
        } catch (EnvelopeException e) {
            System.err.println("Refused: " + e.code() + " (" + e.getMessage() + ")");
            return 3;
        }
        String envelopeSha256 = Fingerprints.sha256(out);
        ObjectNode meta = Json.mapper().createObjectNode()
                .put("programId", program.programId()).put("version", program.version())
                .put("mode", parsedMode.label()).put("deviceId", device.deviceId())
                .put("deviceCertificateSha256", device.fingerprint())
                .put("programSize", program.size()).put("programSha256", program.sha256())
                .put("envelopeSize", Files.size(out)).put("envelopeSha256", envelopeSha256)
                .put("publisherSignature", program.publisherSignature())
                .put("publisherCertificate", Base64.getEncoder().encodeToString(publisher.getEncoded()));
        Path metaFile = out.resolveSibling(out.getFileName() + ".json");
        Files.write(metaFile, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(meta));
        System.out.println("Sealed " + program.programId() + " " + program.version() + " (" + parsedMode.label()
                + ") for device " + device.deviceId() + ": " + out + " (" + Files.size(out) + " bytes, SHA-256 "
                + envelopeSha256 + "); install data in " + metaFile);
        return 0;
    }

    /** The blob on disk must still be the bytes the signature covers. */
    private static boolean blobMatches(Path blob, ProgramCatalog.ProgramVersion p) throws Exception {
        return Files.size(blob) == p.size() && Fingerprints.sha256(blob).equals(p.sha256());
    }
}
