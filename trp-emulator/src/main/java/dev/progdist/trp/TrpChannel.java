package dev.progdist.trp;

import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.envelope.EnvelopeException;
import dev.progdist.protocol.envelope.EnvelopeOpener;
import dev.progdist.protocol.envelope.OpenedEnvelope;
import dev.progdist.protocol.keys.DeviceKey;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.InstallReceipt;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.program.ProgramVersions;
import dev.progdist.protocol.tls.SecureChannel;
import dev.progdist.protocol.tls.TlsEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TRP's end of the second path: TLS 1.3 client with the TRP's unique key (its CertificateVerify
 * is the proof of possession), trusting only the distribution server's second-path certificate.
 * After the handshake it says Hello (its installed programs); the server answers HelloAck when
 * processor authentication has bound it to the user's session, or an Error.
 *
 * <p>With a {@link FetchRequest} the TRP then asks for a program and receives it: DeliveryStart
 * (checked against the request, the rollback rule and the publisher certificate; the rollback rule
 * lets through only a newer version or an identical re-installation of the installed one, the same
 * version with the same program SHA-256, see {@link InstalledPrograms}), DeliveryChunks
 * staged to disk and acknowledged one window at a time, DeliveryEnd (length and digest). It then
 * opens the envelope with its private key, verifies the publisher signature over what it decrypted,
 * installs atomically and answers with a Receipt signed by its unique key for this delivery (this
 * channel's session and the server's nonce of this DeliveryStart), a re-installation too. Any
 * refusal is sent to the server as an Error with a stable code and ends the channel; nothing is
 * installed.
 *
 * <p>One channel at a time; {@link #open} starts a new one. Thread-safe (synchronized).
 */
public class TrpChannel {

    /** What the gateway asked this TRP to fetch: version and mode empty for "latest" / "server's choice". */
    public record FetchRequest(String programId, String version, String mode) {

        /** @throws IllegalArgumentException if a field is not acceptable */
        public FetchRequest {
            if (!ProgramVersions.isProgramId(programId)) {
                throw new IllegalArgumentException("program ID must match " + ProgramVersions.PROGRAM_ID_PATTERN);
            }
            version = version == null ? "" : version;
            mode = mode == null ? "" : mode;
            if (!version.isEmpty() && !ProgramVersions.isVersion(version)) {
                throw new IllegalArgumentException("version must match " + ProgramVersions.VERSION_PATTERN);
            }
            if (!mode.isEmpty()) {
                mode = EnvelopeMode.parse(mode).label();
            }
        }
    }

    private final TrpIdentityStore identity;
    /** The TRP's key, reached only through its operations: receipts, envelopes, TLS. */
    private final DeviceKey key;
    private final InstalledPrograms installed;
    private SecureChannel channel;
    private String errorCode;
    private String errorMessage;
    private boolean bound;
    private String sessionId;
    private FetchRequest fetch;
    private TrpDelivery delivery;
    private Map<String, String> outcome = new TreeMap<>();
    private final TrpFaults faults;
    /** Set once a {@link TrpFault#VANISH} TRP has seen a delivery start: it answers nothing from then on. */
    private volatile boolean vanished;

    public TrpChannel(TrpIdentityStore identity, InstalledPrograms installed) {
        this(identity, installed, TrpFaults.NONE);
    }

    /** A TRP that shows {@code faults} (for the fleet simulator and fault tests; {@link TrpFaults#NONE} otherwise). */
    public TrpChannel(TrpIdentityStore identity, InstalledPrograms installed, TrpFaults faults) {
        this.identity = identity;
        this.key = identity;
        this.installed = installed;
        this.faults = faults;
    }

    /** True once a {@link TrpFault#VANISH} TRP has gone silent: its answers must not be sent. */
    public boolean vanished() {
        return vanished;
    }

    public TrpFaults faults() {
        return faults;
    }

    /** Starts a new channel that only authenticates, and returns the ClientHello records. */
    public synchronized byte[] open() {
        return open(null);
    }

    /** Starts a new channel that fetches {@code request} (or only authenticates if null). */
    public synchronized byte[] open(FetchRequest request) {
        discardDelivery();
        errorCode = null;
        errorMessage = null;
        bound = false;
        sessionId = null;
        fetch = request;
        outcome = new TreeMap<>();
        channel = new SecureChannel(TlsEndpoint.client(context()));
        channel.tls().begin();
        return channel.drainOutbound();
    }

    /** Feeds the server's records; returns this end's records to relay back (maybe none). */
    public synchronized byte[] receive(byte[] records) {
        if (channel == null) {
            throw new IllegalStateException("no channel is open");
        }
        try {
            converse(channel.receive(records));
        } catch (TrpRefusal r) {
            refuse(r.reason(), r.getMessage());
        } catch (RuntimeException e) {
            // whatever went wrong, this channel is over; the report says why
            refuse(ChannelCode.TRP_INTERNAL, e.getClass().getSimpleName());
        }
        if (channel.tls().state() != TlsEndpoint.State.OPEN) {
            discardDelivery();
        }
        return channel.drainOutbound();
    }

    private void converse(List<ChannelMessage> messages) {
        if (channel.tls().takeJustOpened() && channel.tls().state() == TlsEndpoint.State.OPEN) {
            channel.send(new ChannelMessage.Hello(identity.deviceId(), installed.list()));
            if (fetch != null) {
                // in the same flight as Hello: the server takes a Fetch right after the Hello it
                // authenticated, which saves a relay round; nothing it sends is accepted before the
                // HelloAck that binds this channel (DeliveryStart needs `bound`)
                channel.send(new ChannelMessage.Fetch(fetch.programId(), fetch.version(), fetch.mode()));
            }
        }
        if (channel.tls().state() == TlsEndpoint.State.FAILED) {
            return; // a failure anywhere in these bytes voids the messages that came with them
        }
        for (ChannelMessage m : messages) {
            // messages that arrived before the server's close_notify are authentic: act on them (a
            // Close after a Receipt says the server accepted it); after a failure nothing counts
            if (channel.tls().state() == TlsEndpoint.State.FAILED) {
                return;
            }
            handle(m);
        }
        if (delivery != null && channel.tls().state() == TlsEndpoint.State.OPEN) {
            channel.send(new ChannelMessage.DeliveryAck(delivery.received()));
        }
    }

    private void handle(ChannelMessage m) {
        if (m instanceof ChannelMessage.HelloAck ack && !bound) {
            if (!ack.deviceId().equals(identity.deviceId())) {
                throw new TrpRefusal(ChannelCode.PROTOCOL_VIOLATION, "HelloAck names another device");
            }
            bound = true;
            sessionId = ack.sessionId();
            if (fetch == null) {
                // nothing to ask for: end the conversation in order
                channel.send(new ChannelMessage.Close());
                channel.tls().close();
            }
        } else if (m instanceof ChannelMessage.DeliveryStart start && bound && fetch != null && delivery == null
                && !outcome.containsKey("progdistDelivery")) {
            begin(start);
        } else if (m instanceof ChannelMessage.DeliveryChunk chunk && delivery != null) {
            delivery.append(chunk.asReadOnlyBuffer());
        } else if (m instanceof ChannelMessage.DeliveryEnd end && delivery != null) {
            finish(end);
        } else if (m instanceof ChannelMessage.ErrorMessage e) {
            errorCode = e.code();
            errorMessage = e.message();
            if (outcome.containsKey("progdistProgram") && !"installed".equals(outcome.get("progdistDelivery"))) {
                outcome.put("progdistDelivery", "failed");
            } else if ("installed".equals(outcome.get("progdistDelivery"))) {
                // installed here, but the server did not accept the receipt
                outcome.put("progdistReceipt", "rejected");
            }
            channel.tls().close();
        } else if (m instanceof ChannelMessage.Close) {
            if ("installed".equals(outcome.get("progdistDelivery"))) {
                outcome.put("progdistReceipt", "accepted");
            }
            channel.tls().close();
        } else {
            throw new TrpRefusal(ChannelCode.PROTOCOL_VIOLATION, "unexpected " + m.type().label() + " from the server");
        }
    }

    private void begin(ChannelMessage.DeliveryStart start) {
        if (faults.has(TrpFault.VANISH)) {
            vanished = true; // mid-delivery: from this step on nothing leaves this TRP
        }
        outcome.put("progdistProgram", start.programId());
        outcome.put("progdistVersion", start.version());
        outcome.put("progdistMode", start.mode());
        if (!start.programId().equals(fetch.programId())
                || (!fetch.version().isEmpty() && !start.version().equals(fetch.version()))
                || (!fetch.mode().isEmpty() && !start.mode().equals(fetch.mode()))) {
            throw new TrpRefusal(ChannelCode.DELIVERY_MISMATCH, "the server offers " + start.programId() + " "
                    + start.version() + " (" + start.mode() + "), not what was asked for");
        }
        // a version not newer is refused, unless it is the installed one with the same bytes: an
        // identical re-installation, which earns this delivery a receipt of its own (a rollout whose
        // first receipt the server lost) and cannot change what is installed
        installed.requireNewerOrIdentical(start.programId(), start.version(), start.programSha256());
        requireRoomFor(start);
        X509Certificate publisher = new PublisherSignatureCheck(identity.trustedDistributionCa())
                .publisher(start.publisherCertificate());
        delivery = new TrpDelivery(start, publisher, installed.stagingDir());
    }

    /** The envelope and the decrypted program are staged side by side: refuse before a byte arrives if they cannot fit. */
    private void requireRoomFor(ChannelMessage.DeliveryStart start) {
        long needed = start.envelopeSize() + start.programSize();
        if (faults.has(TrpFault.STORAGE_FULL)) {
            throw new TrpRefusal(ChannelCode.STORAGE_FULL, "the delivery needs " + needed + " bytes of staging space, "
                    + "none are free (fault storage-full)");
        }
        long usable;
        try {
            usable = Files.getFileStore(installed.stagingDir()).getUsableSpace();
        } catch (IOException e) {
            throw new TrpRefusal(ChannelCode.STORAGE_FAILED, "cannot read the free space of the TRP's store");
        }
        if (needed > usable) {
            throw new TrpRefusal(ChannelCode.STORAGE_FULL, "the delivery needs " + needed + " bytes of staging space, "
                    + usable + " are free");
        }
    }

    private void finish(ChannelMessage.DeliveryEnd end) {
        ChannelMessage.DeliveryStart start = delivery.start();
        String envelopeSha256 = delivery.complete(end.envelopeSha256());
        Path plaintext = installed.stagingDir().resolve("program-" + System.nanoTime() + ".part");
        try {
            OpenedEnvelope opened;
            try {
                opened = EnvelopeOpener.open(delivery.envelope(), key, plaintext);
            } catch (EnvelopeException e) {
                throw new TrpRefusal(e.reason(), e.getMessage());
            }
            if (!opened.mode().label().equals(start.mode())) {
                throw new TrpRefusal(ChannelCode.DELIVERY_MISMATCH, "the envelope is " + opened.mode().label()
                        + ", not " + start.mode() + " as announced");
            }
            if (opened.size() != start.programSize() || !opened.plaintextSha256Hex().equals(start.programSha256())) {
                throw new TrpRefusal(ChannelCode.PROGRAM_DIGEST_MISMATCH, "the decrypted program differs from the one announced");
            }
            // the statement is rebuilt from what this TRP decrypted, not from what it was told
            ProgramStatement statement = new ProgramStatement(start.programId(), start.version(),
                    opened.plaintextSha256Hex(), opened.size());
            PublisherSignatureCheck.verify(delivery.publisher(), statement, start.publisherSignature());
            if (faults.has(TrpFault.REFUSE_INSTALL)) {
                throw new TrpRefusal(ChannelCode.INSTALL_FAILED, "cannot install " + start.programId() + " "
                        + start.version() + " (fault refuse-install)");
            }
            installed.install(start.programId(), start.version(), plaintext);
            InstallReceipt receipt = new InstallReceipt(identity.deviceId(), start.programId(), start.version(),
                    opened.plaintextSha256Hex(), envelopeSha256, sessionId, start.serverNonce());
            String signature;
            try {
                byte[] signed = key.sign(receipt.signedBytes());
                if (faults.has(TrpFault.BAD_RECEIPT)) {
                    signed[signed.length - 1] ^= 0x5a; // inside the value, the DER stays well-formed: receipt-invalid
                }
                signature = Base64.getEncoder().encodeToString(signed);
            } catch (GeneralSecurityException e) {
                throw new TrpRefusal(ChannelCode.TRP_INTERNAL, "the device key cannot sign the receipt");
            }
            channel.send(new ChannelMessage.Receipt(start.programId(), start.version(), opened.plaintextSha256Hex(),
                    envelopeSha256, start.serverNonce(), signature));
            outcome.put("progdistDelivery", "installed");
            outcome.put("progdistProgramSha256", opened.plaintextSha256Hex());
            outcome.put("progdistEnvelopeSha256", envelopeSha256);
        } finally {
            deleteQuietly(plaintext);
            discardDelivery();
        }
    }

    private void refuse(ChannelCode reason, String message) {
        String code = reason.label();
        errorCode = code;
        errorMessage = message;
        if (outcome.containsKey("progdistProgram") && !"installed".equals(outcome.get("progdistDelivery"))) {
            outcome.put("progdistDelivery", "failed");
        }
        if (channel.tls().state() == TlsEndpoint.State.OPEN) {
            channel.send(new ChannelMessage.ErrorMessage(code, message == null ? code : truncate(message)));
        }
        channel.tls().close();
    }

    private void discardDelivery() {
        if (delivery != null) {
            delivery.close();
            delivery = null;
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // staging leftovers are never installed
        }
    }

    private static String truncate(String s) {
        String clean = s.replaceAll("\\p{Cntrl}", " ");
        return clean.length() > 300 ? clean.substring(0, 300) : clean;
    }

    /** What a person (or the gateway) may know about the channel: no keys, no plaintext. */
    public synchronized Map<String, String> report() {
        Map<String, String> r = new TreeMap<>();
        if (channel == null) {
            r.put("progdistChannelState", "none");
            return r;
        }
        TlsEndpoint tls = channel.tls();
        r.put("progdistChannelState", tls.state().name().toLowerCase(java.util.Locale.ROOT));
        r.put("progdistBound", String.valueOf(bound));
        if (tls.state() != TlsEndpoint.State.HANDSHAKING && tls.state() != TlsEndpoint.State.FAILED) {
            r.put("progdistTlsProtocol", tls.session().getProtocol());
            r.put("progdistCipherSuite", tls.session().getCipherSuite());
            try {
                X509Certificate server = (X509Certificate) tls.session().getPeerCertificates()[0];
                r.put("progdistPeer", server.getSubjectX500Principal().getName());
            } catch (javax.net.ssl.SSLPeerUnverifiedException ignored) {
                // no peer yet
            }
        }
        String code = errorCode != null ? errorCode : channel.codecFailure();
        if (code == null && tls.state() == TlsEndpoint.State.FAILED) {
            code = ChannelCode.TLS_FAILURE.label();
        }
        if (code != null) {
            r.put("progdistChannelCode", code);
        }
        String detail = errorMessage != null ? errorMessage : tls.failure();
        if (detail != null) {
            r.put("progdistChannelDetail", detail.length() > 300 ? detail.substring(0, 300) : detail);
        }
        if (delivery != null) {
            r.put("progdistReceived", String.valueOf(delivery.received()));
        }
        r.putAll(outcome);
        return r;
    }

    public synchronized boolean bound() {
        return bound;
    }

    private SSLContext context;

    /** Built once: the TRP's key is unwrapped from its store once, not per channel. */
    private SSLContext context() {
        if (context == null) {
            context = newContext();
        }
        return context;
    }

    private SSLContext newContext() {
        try {
            X509ExtendedTrustManager pkix = null;
            for (TrustManager tm : identity.trustManagers().getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    pkix = x;
                }
            }
            if (pkix == null) {
                throw new IllegalStateException("no X.509 trust manager for the distribution CA");
            }
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(key.tlsKeyManagers(), new TrustManager[] {new ChannelServerTrust(pkix)},
                    null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up the TRP's TLS: " + e.getMessage(), e);
        }
    }
}
