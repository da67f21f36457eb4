package dev.progdist.fleet;

/**
 * A fleet's counts at one moment.
 *
 * @param devices     devices in the fleet
 * @param loggedIn    devices whose gateway session is live
 * @param checkingIn  check-ins running now (a delivery included)
 * @param delivering  deliveries (second paths with a fetch) running now
 * @param installed   deliveries that ended installed with the receipt accepted, since start
 * @param failed      deliveries that failed or whose TRP did not answer, since start
 * @param silent      devices gone silent (the vanish fault): neither TRP nor gateway answer any more
 * @param unreachable devices whose last check-in or login was refused or did not reach the server
 * @param checkIns    check-ins answered by the server since start
 */
public record FleetStatus(int devices, int loggedIn, int checkingIn, int delivering, long installed, long failed,
        int silent, int unreachable, long checkIns) {

    /** One line for people, e.g. {@code 1000 devices: 1000 logged in, 3 checking in, 1 delivering, 12 installed, 2 failed}. */
    public String line() {
        return devices + " devices: " + loggedIn + " logged in, " + checkingIn + " checking in, " + delivering
                + " delivering, " + installed + " installed, " + failed + " failed"
                + (silent > 0 ? ", " + silent + " silent" : "")
                + (unreachable > 0 ? ", " + unreachable + " refused or not reaching the server" : "")
                + " (" + checkIns + " check-ins)";
    }
}
