package dev.progdist.processors.delivery;

import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.protocol.envelope.DeviceKeyMaterial;
import dev.progdist.protocol.envelope.EnvelopeException;
import dev.progdist.protocol.envelope.EnvelopeSealer;
import dev.progdist.protocol.program.EnvelopeMode;
import java.security.SecureRandom;

/**
 * Stage 5, key wrapping: the per-device key material of the envelope, from the TRP certificate
 * that the second path validated (never from anything the TRP or the gateway merely said). The mode
 * is the one the TRP asked for, else the program's default, else {@code progdist.delivery.default-mode}.
 * {@code wrapped}: a fresh AES-256 content key wrapped to the TRP key (RSA-OAEP, or ECDH + AES key
 * wrap); {@code direct}: a KEM encapsulation to the TRP key, no content key travels. Raises the
 * envelope codes ({@code envelope-unsupported-key}, ...). Sealed.
 */
public class KeyWrapping {

    private final EnvelopeMode defaultMode;
    private final SecureRandom random = new SecureRandom();

    public KeyWrapping(EnvelopeMode defaultMode) {
        this.defaultMode = defaultMode;
    }

    /** SIGNATURE_VERIFIED → KEY_WRAPPED. */
    public DeliveryContext wrap(DeliveryContext delivery) {
        delivery.require(Stage.SIGNATURE_VERIFIED);
        String asked = delivery.request().mode();
        EnvelopeMode mode = !asked.isEmpty() ? EnvelopeMode.parse(asked)
                : delivery.program().defaultMode() != null ? delivery.program().defaultMode() : defaultMode;
        try {
            DeviceKeyMaterial keys = EnvelopeSealer.forMode(mode, random)
                    .wrapKey(delivery.device().certificate(), delivery.program().size());
            return delivery.keyWrapped(mode, keys);
        } catch (EnvelopeException e) {
            throw new DeliveryException(e.reason(), e.getMessage());
        }
    }
}
