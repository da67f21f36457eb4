package dev.progdist.protocol.envelope;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;

/** Peer points of P-256 as they arrive in envelopes, turned into keys a {@link dev.progdist.protocol.keys.DeviceKey} agrees with. */
final class P256 {

    private static final X9ECParameters CURVE = ECNamedCurveTable.getByName("P-256");

    private P256() {
    }

    /**
     * The public key of a SEC 1 encoded point (uncompressed or compressed).
     *
     * @throws GeneralSecurityException if the bytes are not a point of P-256 other than infinity
     */
    static ECPublicKey publicKey(byte[] encoded) throws GeneralSecurityException {
        org.bouncycastle.math.ec.ECPoint point;
        try {
            point = CURVE.getCurve().decodePoint(encoded).normalize(); // refuses points off the curve
        } catch (RuntimeException e) {
            throw new GeneralSecurityException("not a P-256 point");
        }
        if (point.isInfinity() || !point.isValid()) {
            throw new GeneralSecurityException("not a valid P-256 point");
        }
        AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
        parameters.init(new ECGenParameterSpec("secp256r1"));
        ECParameterSpec spec = parameters.getParameterSpec(ECParameterSpec.class);
        ECPoint w = new ECPoint(point.getAffineXCoord().toBigInteger(), point.getAffineYCoord().toBigInteger());
        return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, spec));
    }
}
