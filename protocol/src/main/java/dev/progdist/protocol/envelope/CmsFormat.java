package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.DeviceKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.GCMParameters;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.bouncycastle.asn1.cms.KeyAgreeRecipientIdentifier;
import org.bouncycastle.asn1.cms.KeyAgreeRecipientInfo;
import org.bouncycastle.asn1.cms.KeyTransRecipientInfo;
import org.bouncycastle.asn1.cms.OriginatorPublicKey;
import org.bouncycastle.asn1.cms.RecipientEncryptedKey;
import org.bouncycastle.asn1.cms.RecipientIdentifier;
import org.bouncycastle.asn1.cms.RecipientInfo;
import org.bouncycastle.asn1.cms.ecc.ECCCMSSharedInfo;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAESOAEPparams;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.engines.RFC3394WrapEngine;
import org.bouncycastle.crypto.generators.KDF2BytesGenerator;
import org.bouncycastle.crypto.params.KDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.operator.jcajce.JceAsymmetricKeyWrapper;
import org.bouncycastle.operator.jcajce.JceGenericKey;
import org.bouncycastle.util.Pack;

/**
 * The wrapped format: a DER {@code ContentInfo} holding CMS {@code AuthEnvelopedData} (RFC 5083)
 * with AES-256-GCM (RFC 5084) and exactly one recipient: RSAES-OAEP-SHA256 key transport
 * (RFC 8017, RFC 4055) or ECDH with the X9.63 SHA-256 KDF and AES-256 key wrap (RFC 5753).
 *
 * <pre>
 * ContentInfo SEQUENCE {
 *   contentType  id-ct-authEnvelopedData (1.2.840.113549.1.9.16.1.23)
 *   content [0] EXPLICIT AuthEnvelopedData SEQUENCE {
 *     version 0
 *     recipientInfos SET { one KeyTransRecipientInfo or [1] KeyAgreeRecipientInfo }
 *     authEncryptedContentInfo SEQUENCE {
 *       contentType id-data (1.2.840.113549.1.7.1)
 *       contentEncryptionAlgorithm { aes256-GCM (2.16.840.1.101.3.4.1.46), GCMParameters { nonce(12), 16 } }
 *       encryptedContent [0] IMPLICIT OCTET STRING  -- primitive, definite, as long as the program
 *     }
 *     mac OCTET STRING (16)                      -- the GCM tag
 *   }
 * }
 * </pre>
 * No originatorInfo, authAttrs or unauthAttrs, so the GCM additional data is empty.
 */
final class CmsFormat {

    /** Bound on the recipientInfos SET and each small element parsed with Bouncy Castle. */
    static final int MAX_RECIPIENT_INFOS_BYTES = 64 * 1024;
    static final int MAX_SMALL_ELEMENT_BYTES = 256;
    static final int MAC_TLV_BYTES = 2 + Envelopes.TAG_BYTES;

    static final AlgorithmIdentifier OAEP_SHA256 = new AlgorithmIdentifier(PKCSObjectIdentifiers.id_RSAES_OAEP,
            new RSAESOAEPparams(
                    new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256, DERNull.INSTANCE),
                    new AlgorithmIdentifier(PKCSObjectIdentifiers.id_mgf1,
                            new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256, DERNull.INSTANCE)),
                    RSAESOAEPparams.DEFAULT_P_SOURCE_ALGORITHM));
    static final AlgorithmIdentifier ECDH_SHA256KDF_AES256_WRAP = new AlgorithmIdentifier(
            CMSAlgorithm.ECDH_SHA256KDF, new AlgorithmIdentifier(CMSAlgorithm.AES256_WRAP));
    /** What Bouncy Castle writes for our P-256 ephemeral key (RFC 5753 allows absent, NULL or the curve). */
    private static final AlgorithmIdentifier EC_ORIGINATOR_ALGORITHM =
            new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, SECObjectIdentifiers.secp256r1);

    private CmsFormat() {
    }

    static AlgorithmIdentifier contentEncryptionAlgorithm(byte[] nonce) {
        return new AlgorithmIdentifier(NISTObjectIdentifiers.id_aes256_GCM,
                new GCMParameters(nonce, Envelopes.TAG_BYTES));
    }

    // ---- sender -------------------------------------------------------------------------

    /** One fresh RecipientInfo carrying {@code contentKey} to {@code recipient}, made by Bouncy Castle's generators. */
    static RecipientInfo recipientInfo(KeyType type, X509Certificate recipient, byte[] contentKey,
            SecureRandom random) throws EnvelopeException {
        SecretKeySpec key = new SecretKeySpec(contentKey, "AES");
        try {
            JceGenericKey generic = new JceGenericKey(
                    new AlgorithmIdentifier(NISTObjectIdentifiers.id_aes256_GCM), key);
            if (type == KeyType.RSA_3072) {
                return new JceKeyTransRecipientInfoGenerator(recipient,
                        new JceAsymmetricKeyWrapper(OAEP_SHA256, recipient.getPublicKey())
                                .setProvider(Bc.provider()).setSecureRandom(random))
                        .generate(generic);
            }
            // RFC 5753 ephemeral-static ECDH: a new originator key pair for every RecipientInfo
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            KeyPair ephemeral = generator.generateKeyPair();
            return new JceKeyAgreeRecipientInfoGenerator(CMSAlgorithm.ECDH_SHA256KDF, ephemeral.getPrivate(),
                    ephemeral.getPublic(), CMSAlgorithm.AES256_WRAP)
                    .addRecipient(recipient).setProvider(Bc.provider()).setSecureRandom(random)
                    .generate(generic);
        } catch (CMSException | GeneralSecurityException | RuntimeException e) {
            throw EnvelopeException.unsupportedKey();
        }
    }

    /** All bytes before the encrypted content, for a content of {@code contentLength} bytes. */
    static byte[] header(RecipientInfo recipientInfo, byte[] nonce, long contentLength) {
        byte[] recipientInfos = encode(new DERSet(recipientInfo));
        byte[] dataType = encode(CMSObjectIdentifiers.data);
        byte[] algorithm = encode(contentEncryptionAlgorithm(nonce));
        byte[] contentHeader = Der.header(Der.CONTEXT_0_PRIMITIVE, contentLength);
        long eciLength = dataType.length + algorithm.length + contentHeader.length + contentLength;
        byte[] eciHeader = Der.header(Der.SEQUENCE, eciLength);
        byte[] version = {Der.INTEGER, 1, 0};
        long aedLength = version.length + recipientInfos.length + eciHeader.length + eciLength + MAC_TLV_BYTES;
        byte[] aedHeader = Der.header(Der.SEQUENCE, aedLength);
        byte[] explicitHeader = Der.header(Der.CONTEXT_0_CONSTRUCTED, aedHeader.length + aedLength);
        byte[] contentType = encode(CMSObjectIdentifiers.authEnvelopedData);
        byte[] contentInfoHeader = Der.header(Der.SEQUENCE,
                contentType.length + explicitHeader.length + aedHeader.length + aedLength);
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        for (byte[] part : new byte[][] {contentInfoHeader, contentType, explicitHeader, aedHeader, version,
            recipientInfos, eciHeader, dataType, algorithm, contentHeader}) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** The bytes after the encrypted content: {@code mac OCTET STRING (16)}. */
    static byte[] trailer(byte[] tag) {
        byte[] trailer = new byte[MAC_TLV_BYTES];
        trailer[0] = Der.OCTET_STRING;
        trailer[1] = Envelopes.TAG_BYTES;
        System.arraycopy(tag, 0, trailer, 2, Envelopes.TAG_BYTES);
        return trailer;
    }

    static byte[] encode(ASN1Encodable value) {
        try {
            return value.toASN1Primitive().getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("DER encoding failed", e);
        }
    }

    // ---- recipient ----------------------------------------------------------------------

    /**
     * Finds the RecipientInfo addressed to {@code own} and recovers the 32-byte content key.
     * Every non-cryptographic field must be exactly what the sealer writes, so that no byte of
     * the recipient part can change without the opening failing.
     */
    static byte[] unwrapContentKey(byte[] recipientInfosTlv, KeyType type, DeviceKey key,
            AlgorithmIdentifier contentAlgorithm) throws EnvelopeException {
        X509Certificate own = key.certificate();
        ASN1Set set;
        try {
            set = ASN1Set.getInstance(ASN1Primitive.fromByteArray(recipientInfosTlv));
            if (!Arrays.equals(encode(set), recipientInfosTlv)) {
                throw EnvelopeException.malformed(); // not DER
            }
        } catch (IOException | RuntimeException e) {
            throw EnvelopeException.malformed();
        }
        byte[] ownIssuerAndSerial = issuerAndSerial(own);
        byte[] ownKeyId = subjectKeyIdentifier(own);
        for (ASN1Encodable element : set) {
            try {
                ASN1Encodable info = RecipientInfo.getInstance(element).getInfo();
                if (info instanceof KeyTransRecipientInfo ktri) {
                    if (type == KeyType.RSA_3072 && addressedTo(ktri.getRecipientIdentifier(), ownIssuerAndSerial,
                            ownKeyId)) {
                        return unwrapKeyTrans(ktri, key);
                    }
                } else if (info instanceof KeyAgreeRecipientInfo kari) {
                    if (type == KeyType.EC_P256) {
                        ASN1Sequence keys = kari.getRecipientEncryptedKeys();
                        for (ASN1Encodable k : keys) {
                            RecipientEncryptedKey rek = RecipientEncryptedKey.getInstance(k);
                            if (addressedTo(rek.getIdentifier(), ownIssuerAndSerial, ownKeyId)) {
                                return unwrapKeyAgree(kari, rek, key);
                            }
                        }
                    }
                }
            } catch (RuntimeException e) {
                throw EnvelopeException.malformed();
            }
        }
        throw EnvelopeException.wrongRecipient();
    }

    private static byte[] unwrapKeyTrans(KeyTransRecipientInfo ktri, DeviceKey key) throws EnvelopeException {
        int expectedVersion = ktri.getRecipientIdentifier().isTagged() ? 2 : 0;
        if (ktri.getVersion().intValueExact() != expectedVersion
                || !ktri.getKeyEncryptionAlgorithm().equals(OAEP_SHA256)) {
            // only OAEP-SHA256: PKCS#1 v1.5 key transport would invite padding oracles
            throw EnvelopeException.malformed();
        }
        try {
            return checkedKey(key.decryptOaepSha256(ktri.getEncryptedKey().getOctets()));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw EnvelopeException.unwrapFailed();
        }
    }

    private static byte[] unwrapKeyAgree(KeyAgreeRecipientInfo kari, RecipientEncryptedKey rek, DeviceKey key)
            throws EnvelopeException {
        OriginatorPublicKey originator = kari.getOriginator().getOriginatorKey();
        if (kari.getVersion().intValueExact() != 3 || originator == null
                || !originator.getAlgorithm().equals(EC_ORIGINATOR_ALGORITHM)
                || kari.getUserKeyingMaterial() != null
                || !kari.getKeyEncryptionAlgorithm().equals(ECDH_SHA256KDF_AES256_WRAP)) {
            throw EnvelopeException.malformed();
        }
        byte[] z = null;
        byte[] kek = null;
        try {
            // RFC 5753 §3.1.2: Z = ECDH(recipient, originator), on the recipient's curve (P-256);
            // KEK = X9.63 KDF with SHA-256 over Z and the DER ECC-CMS-SharedInfo; then AES key unwrap
            z = key.agree(P256.publicKey(originator.getPublicKey().getOctets()));
            AlgorithmIdentifier wrap = AlgorithmIdentifier.getInstance(kari.getKeyEncryptionAlgorithm().getParameters());
            byte[] sharedInfo = new ECCCMSSharedInfo(wrap, null, Pack.intToBigEndian(Envelopes.KEY_BYTES * 8))
                    .getEncoded(ASN1Encoding.DER);
            KDF2BytesGenerator kdf = new KDF2BytesGenerator(new SHA256Digest());
            kdf.init(new KDFParameters(z, sharedInfo));
            kek = new byte[Envelopes.KEY_BYTES];
            kdf.generateBytes(kek, 0, kek.length);
            RFC3394WrapEngine unwrap = new RFC3394WrapEngine(AESEngine.newInstance());
            unwrap.init(false, new KeyParameter(kek));
            byte[] encryptedKey = rek.getEncryptedKey().getOctets();
            return checkedKey(unwrap.unwrap(encryptedKey, 0, encryptedKey.length));
        } catch (GeneralSecurityException | InvalidCipherTextException | IOException | RuntimeException e) {
            throw EnvelopeException.unwrapFailed();
        } finally {
            Envelopes.wipe(z, kek);
        }
    }

    private static byte[] checkedKey(byte[] key) throws EnvelopeException {
        if (key == null || key.length != Envelopes.KEY_BYTES) {
            Envelopes.wipe(key);
            throw EnvelopeException.unwrapFailed();
        }
        return key;
    }

    private static boolean addressedTo(RecipientIdentifier rid, byte[] ownIssuerAndSerial, byte[] ownKeyId) {
        if (rid.isTagged()) {
            return ownKeyId != null
                    && Arrays.equals(ASN1OctetString.getInstance(rid.getId()).getOctets(), ownKeyId);
        }
        return Arrays.equals(encode(IssuerAndSerialNumber.getInstance(rid.getId())), ownIssuerAndSerial);
    }

    private static boolean addressedTo(KeyAgreeRecipientIdentifier rid, byte[] ownIssuerAndSerial,
            byte[] ownKeyId) {
        if (rid.getIssuerAndSerialNumber() != null) {
            return Arrays.equals(encode(rid.getIssuerAndSerialNumber()), ownIssuerAndSerial);
        }
        return ownKeyId != null && rid.getRKeyID() != null && rid.getRKeyID().getDate() == null
                && rid.getRKeyID().getOtherKeyAttribute() == null
                && Arrays.equals(rid.getRKeyID().getSubjectKeyIdentifier().getOctets(), ownKeyId);
    }

    private static byte[] issuerAndSerial(X509Certificate own) throws EnvelopeException {
        // compare DER bytes, not X500Name.equals: name matching normalises strings, and a changed
        // string type must count as a changed envelope
        X500Name issuer = X500Name.getInstance(own.getIssuerX500Principal().getEncoded());
        BigInteger serial = own.getSerialNumber();
        return encode(new IssuerAndSerialNumber(issuer, serial));
    }

    private static byte[] subjectKeyIdentifier(X509Certificate own) {
        byte[] extension = own.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (extension == null) {
            return null;
        }
        try {
            return SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(extension).getOctets())
                    .getKeyIdentifier();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
