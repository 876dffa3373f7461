"""What of ``Swabian.TimeTagger`` 2.22.6 the simulator deliberately does not provide, and why.

Everything else of the library exists here with its signature (``tests/sim/test_api_surface.py``
checks it against the installed library). Keys are module-level names, ``Class.member`` for
methods, and ``Experimental.Name`` for the Experimental namespace.
"""
from __future__ import annotations

_NETWORK = "network Time Tagger: "
_LICENCE_OR_FIRMWARE = "licence and firmware management of real hardware: "

#: Name -> reason it is not simulated.
EXCLUDED: dict[str, str] = {
    "createTimeTaggerNetwork": _NETWORK + "connects out to a Time Tagger server on the network",
    "scanTimeTaggerServers": _NETWORK + "discovers servers by UDP multicast on the local network",
    "getTimeTaggerServerInfo": _NETWORK + "queries a Time Tagger server over the network",
    "TimeTaggerNetwork": _NETWORK + "the client object of createTimeTaggerNetwork",
    "TimeTaggerServer": _NETWORK + "one server of a TimeTaggerNetwork client",
    "TimeTagger.startServer": _NETWORK + "serves the tag stream on a TCP port (use rpc_bridge instead)",
    "TimeTagger.enableFpgaLink": "streams tags over the Time Tagger X's Ethernet link to external FPGA hardware",
    "TimeTagger.xtra_enableStreamInterfaceUDP": "streams tags as UDP packets over the Time Tagger X's SFP+ port",
    "flashLicense": _LICENCE_OR_FIRMWARE + "writes a licence into a device's flash memory",
    "extractDeviceLicense": _LICENCE_OR_FIRMWARE + "decodes a binary licence read from a device",
    "TimeTagger.fetchDeviceLicenseUpdate": _LICENCE_OR_FIRMWARE + "downloads licences from Swabian's server",
    "TimeTagger.updateBMCFirmware": _LICENCE_OR_FIRMWARE + "flashes the board management controller",
    "setCustomBitFileName": _LICENCE_OR_FIRMWARE + "selects the FPGA bitfile to load",
    "addSearchPath": _LICENCE_OR_FIRMWARE + "adds a directory to search for FPGA bitfiles",
    "TimeTagger.factoryAccess": "raw FPGA register access for the factory (documented 'DO NOT USE')",
    "SwigPyIterator": "SWIG implementation detail, not part of the Time Tagger API",
    "cvar": "SWIG's accessor object for C++ global variables, not part of the Time Tagger API",
    "SHARED_PTR_DISOWN": "SWIG memory-ownership flag, not part of the Time Tagger API",
}
