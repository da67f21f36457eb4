package dev.progdist.processors.channel;

import dev.progdist.protocol.tls.SecureChannel;
import dev.progdist.protocol.tls.TlsEndpoint;
import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.delivery.DeviceSession;
import dev.progdist.processors.pki.DeviceCertificateException;
import dev.progdist.protocol.wire.TrpStatus;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The server's end of one second path, bound to one first-path session. Holds the TLS endpoint
 * and what processor authentication decided. One request at a time: {@code InnerChannel} takes
 * a busy flag for the duration of a request and answers {@code channel-busy} to a second one.
 */
public final class ServerChannel {

    /** Where processor authentication stands. */
    public enum Authentication { PENDING, ACCEPTED, REFUSED }

    private final String sessionId;
    private final String userId;
    private final SecureChannel channel;
    private volatile Instant lastActivity;
    private Authentication authentication = Authentication.PENDING;
    private String deviceId;
    private String fingerprint;
    private String refusalCode;
    private String refusalDetail;
    private boolean helloReceived;
    private List<TrpStatus.InstalledProgram> installed = List.of();
    private DeliveryContext delivery;
    private boolean finished;

    /** The request that holds the channel, or {@code null}. */
    private final AtomicReference<Object> holder = new AtomicReference<>();
    private final AtomicReference<DeviceCertificateException> certificateRefusal;
    private final AtomicReference<X509Certificate> presented;

    ServerChannel(String sessionId, String userId, TlsEndpoint tls, Instant now,
            AtomicReference<DeviceCertificateException> certificateRefusal,
            AtomicReference<X509Certificate> presented) {
        this.sessionId = sessionId;
        this.userId = userId;
        this.channel = new SecureChannel(tls);
        this.lastActivity = now;
        this.certificateRefusal = certificateRefusal;
        this.presented = presented;
    }

    /** Takes the channel for {@code request}; {@code false} while another request holds it. */
    boolean tryAcquire(Object request) {
        return holder.compareAndSet(null, java.util.Objects.requireNonNull(request));
    }

    /**
     * Gives the channel back if {@code request} holds it. Only the holder can release: a late
     * release of an earlier request never frees the channel under the next one.
     */
    void release(Object request) {
        holder.compareAndSet(request, null);
    }

    /** Why the handshake's trust manager refused the TRP certificate, or {@code null}. */
    public DeviceCertificateException certificateRefusal() {
        return certificateRefusal.get();
    }

    /** The leaf certificate the TRP presented in the handshake (valid or not), or {@code null}. */
    public X509Certificate presentedCertificate() {
        return presented.get();
    }

    void refuseAfterFailure(String code, String detail) {
        if (authentication == Authentication.PENDING) {
            authentication = Authentication.REFUSED;
        }
        if (refusalCode == null) {
            refusalCode = code;
            refusalDetail = detail;
        }
    }

    public String sessionId() {
        return sessionId;
    }

    public String userId() {
        return userId;
    }

    public SecureChannel channel() {
        return channel;
    }

    public TlsEndpoint tls() {
        return channel.tls();
    }

    /** The TRP's certificate once the handshake is done. */
    public X509Certificate peerCertificate() {
        try {
            return (X509Certificate) channel.tls().session().getPeerCertificates()[0];
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return null;
        }
    }

    public Instant lastActivity() {
        return lastActivity;
    }

    void touch(Instant now) {
        lastActivity = now;
    }

    public Authentication authentication() {
        return authentication;
    }

    void accept(String device, String certFingerprint) {
        this.authentication = Authentication.ACCEPTED;
        this.deviceId = device;
        this.fingerprint = certFingerprint;
    }

    void refuse(String device, String certFingerprint, String code, String detail) {
        this.authentication = Authentication.REFUSED;
        this.deviceId = device;
        this.fingerprint = certFingerprint;
        this.refusalCode = code;
        this.refusalDetail = detail;
    }

    public String deviceId() {
        return deviceId;
    }

    public String fingerprint() {
        return fingerprint;
    }

    public String refusalCode() {
        return refusalCode;
    }

    public String refusalDetail() {
        return refusalDetail;
    }

    boolean helloReceived() {
        return helloReceived;
    }

    void helloReceived(boolean value) {
        helloReceived = value;
    }

    /** What the TRP said it has installed, in its Hello. */
    public List<TrpStatus.InstalledProgram> installed() {
        return installed;
    }

    void installed(List<TrpStatus.InstalledProgram> programs) {
        installed = List.copyOf(programs);
    }

    /** The delivery in progress (or last finished) on this channel, as its last stage returned it; or {@code null}. */
    public DeliveryContext delivery() {
        return delivery;
    }

    /** Whether a delivery has started and neither installed nor ended. */
    public boolean deliveryInProgress() {
        return delivery != null && !delivery.finished();
    }

    void delivery(DeliveryContext d) {
        delivery = d;
    }

    /** Ends the tracking of the current delivery (it failed or the channel ended): releases its keys and stream. */
    DeliveryContext endDelivery() {
        DeliveryContext d = delivery;
        delivery = null;
        if (d != null) {
            d.release();
        }
        return d;
    }

    /** Who the channel's deliveries are for: only once processor authentication accepted the device. */
    public DeviceSession deviceSession() {
        if (authentication != Authentication.ACCEPTED) {
            throw new IllegalStateException("the device of this channel is not authenticated");
        }
        return new DeviceSession(sessionId, userId, deviceId, peerChain(), installed);
    }

    /** The certificate chain the TRP presented (leaf first), once the handshake is done. */
    public List<X509Certificate> peerChain() {
        try {
            java.security.cert.Certificate[] chain = channel.tls().session().getPeerCertificates();
            List<X509Certificate> out = new java.util.ArrayList<>();
            for (java.security.cert.Certificate c : chain) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return List.of();
        }
    }

    /** True once the outcome of this channel has been recorded; it accepts nothing more. */
    public boolean finished() {
        return finished;
    }

    void finish() {
        finished = true;
    }
}
