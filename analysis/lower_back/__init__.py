"""The lower-back sensor (placement ``lower_back``, over L5/S1, the Mobilise-D position).

Conventions (added to analysis.conventions for this placement; the shared ones are not redefined):

* **pelvis segment frame** in quiet standing: x anterior (direction of travel), y left, z up, like the
  shin and foot frames. The sensor's mounting is found by :class:`LowerBackFrame`: z from gravity in
  quiet standing next to walking, x from the walking direction (the principal axis of the horizontal
  acceleration, signed by the forward speed gained at the starts of walking).
* **pelvis angles**: the intrinsic ``R_z(yaw) @ R_y(tilt) @ R_x(obliquity)`` of the pelvis orientation
  in the world frame (the decomposition of analysis.conventions.tilt_angles), so that quiet standing is
  0° in tilt and obliquity:

  - ``pelvic tilt``: + anterior (top of the pelvis forward, lumbar arching), - posterior;
  - ``pelvic obliquity``: + left side up (right side down);
  - ``pelvic rotation``: yaw minus the direction of travel (yaw detrended over the stride); + the
    pelvis facing left (right hip forward). Only its range is reported.
* **trunk forward lean**: the stride's mean tilt of the lumbopelvic segment relative to quiet
  standing (a sensor on L5/S1 sees that segment; a thoracic lean needs a sensor on the sternum).
* **peak sacral acceleration**: the largest norm of the lower-back specific force (g, gravity
  included, as ``peak_tibial_accel_g``) within ``SacralShock.window_s`` after initial contact.
* **shock attenuation** tibia to sacrum, percent: ``(1 - peak_sacral / peak_tibial) * 100`` of the same
  contact: the time-domain peak ratio between tibial tuberosity and sacrum of Mizrahi, Verbitsky &
  Isakov (2000), "Shock accelerations and attenuation in downhill and level running", Clin Biomech
  15:15-20. 0 % nothing absorbed, 100 % all. (The spectral transfer-function attenuation in dB of
  Derrick, Hamill & Caldwell 1998, MSSE 30:128, needs running's higher impact frequencies and is not
  used.)

Modules: ``frame`` (mounting, orientation, angles), ``pelvis`` (per-stride pelvic angles), ``trunk``
(lean), ``shock`` (sacral peak, attenuation), ``gait`` (initial contacts, strides, cadence and speed from
the lower back alone), ``chain`` (per bout and side, dorsiflexion against the lower back's figures: the
within-walker slope with its confidence interval and plain-language callouts), ``columns`` (the
strides.csv columns joined onto a strides table: the pipeline's one call).
"""

from .chain import AnkleChain
from .columns import LOWER_BACK_STRIDE_COLUMNS, PLACEMENT, add_lower_back_columns, lower_back_strides
from .frame import LowerBackFrame
from .gait import LowerBackGait
from .pelvis import PelvisMotion
from .shock import SacralShock
from .trunk import TrunkLean

__all__ = ["AnkleChain", "LOWER_BACK_STRIDE_COLUMNS", "PLACEMENT", "LowerBackFrame", "LowerBackGait", "PelvisMotion", "SacralShock", "TrunkLean", "add_lower_back_columns",
           "lower_back_strides"]
