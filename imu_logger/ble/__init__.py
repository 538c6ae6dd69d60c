"""BLE side of capture: virtual sensors on Google's Bumble stack and a bleak backend that reaches them.

* :mod:`~imu_logger.ble.sources`: what a virtual sensor measures (signal sources, replay of a recording);
* :mod:`~imu_logger.ble.faults`: faults to inject (drops, disconnect, clock drift, corruption, low battery);
* :mod:`~imu_logger.ble.virtual_sensor`: one sensor model served as a GATT server on a Bumble device;
* :mod:`~imu_logger.ble.world`: the running set of virtual sensors and the host adapter (``VirtualWorld``);
* :mod:`~imu_logger.ble.virtual_backend`: ``VirtualBleakScanner`` / ``VirtualBleakClient`` for bleak.
"""
